"""Reading an untrusted body: streamed, decoded (gzip, deflate) and cut at a cap, never held whole.

We ask for the codings we decode (ACCEPT_ENCODING); a coding we did not ask for or a corrupt stream
is a BodyError, which the transport turns into an ERROR for that case only.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

# We decode these codings; asking for them keeps a server from choosing one we cannot read (br, zstd).
ACCEPT_ENCODING = "gzip, deflate"


class BodyError(Exception):
    """The body cannot be read as sent (an unknown or corrupt content coding)."""


def _inflate(decoder: _Inflater, data: bytes, room: int) -> list[bytes]:
    """Inflate `data` (and what an earlier step left unconsumed) into at most `room` + 1 bytes."""
    try:
        return decoder.feed(data, room)
    except zlib.error as exc:
        raise BodyError(f"the body is not valid {'gzip' if decoder.wbits_gzip else 'deflate'} data ({exc})") from None


_GZIP_MAGIC = b"\x1f\x8b"


class _Inflater:
    """zlib's decompressor for one coding, reading every member of a gzip body.

    RFC 1952 §2.2: a gzip file is a series of members, and Node's and Python's readers inflate them all;
    bytes after a member that do not start another (zero padding, say) are ignored, as before.
    """

    __slots__ = ("_ignore", "_pending", "_z", "wbits_gzip")

    def __init__(self, gzip: bool) -> None:
        self.wbits_gzip = gzip
        self._z = self._new()
        self._pending = b""  # input not inflated yet (cut by `room`, or a next member's first byte)
        self._ignore = False  # what follows the last member is no gzip member: dropped

    def _new(self) -> Any:
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self.wbits_gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> list[bytes]:
        out: list[bytes] = []
        data = self._pending + data
        self._pending = b""
        while data and room > 0:
            if self._z.eof:
                if self._ignore or not self.wbits_gzip:
                    return out
                if len(data) < len(_GZIP_MAGIC):
                    self._pending = data  # the next chunk tells whether a member starts here
                    return out
                if not data.startswith(_GZIP_MAGIC):
                    self._ignore = True
                    return out
                self._z = self._new()
            chunk = self._z.decompress(data, room)
            out.append(chunk)
            room -= len(chunk)
            data = self._z.unused_data if self._z.eof else self._z.unconsumed_tail
        self._pending = data
        return out

    @property
    def eof(self) -> bool:
        """Whether the stream read so far ends where a member (the last one) ends."""
        return bool(self._z.eof)


def _decoder(headers: list[tuple[bytes, bytes]]) -> _Inflater | None:
    """An inflater for gzip/deflate bodies; BodyError for a coding we neither asked for nor can read."""
    for k, v in headers:
        if k.lower() == b"content-encoding":
            coding = v.strip().lower()
            if coding in (b"gzip", b"x-gzip"):
                return _Inflater(True)
            if coding == b"deflate":
                return _Inflater(False)
            if coding not in (b"", b"identity"):
                shown = v.decode("latin-1")[:40].encode("unicode_escape").decode("ascii")
                raise BodyError(
                    f"the answer uses Content-Encoding {shown}, which was not asked for ({ACCEPT_ENCODING})"
                )
    return None


async def read_capped_stream(
    headers: list[tuple[bytes, bytes]], stream: AsyncIterator[bytes], cap: int
) -> tuple[bytes, bool]:
    """The body of a stream of raw (still encoded) bytes, up to `cap` bytes decoded, and whether it was cut.

    A compressed body is inflated in steps of at most what is left of the cap, so a gzip bomb
    costs no more memory than a plain body of the cap's size.
    """
    decoder = _decoder(headers)
    chunks: list[bytes] = []
    size = 0
    async for raw in stream:
        for chunk in (raw,) if decoder is None else _inflate(decoder, raw, cap + 1 - size):
            size += len(chunk)
            if size > cap:
                chunks.append(chunk[: len(chunk) - (size - cap)])
                return b"".join(chunks), True
            chunks.append(chunk)
    if decoder is not None and not decoder.eof and size:
        raise BodyError("the compressed body ends before its compressed stream does")
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False
