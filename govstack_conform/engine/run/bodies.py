"""Reading an untrusted body: streamed, decoded (gzip, deflate) and cut at a cap, never held whole.

We ask for the codings we decode (ACCEPT_ENCODING); a coding we did not ask for or a corrupt stream
is a BodyError, which the transport turns into an ERROR for that case only.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpcore

# We decode these codings; asking for them keeps a server from choosing one we cannot read (br, zstd).
ACCEPT_ENCODING = "gzip, deflate"


class BodyError(Exception):
    """The body cannot be read as sent (an unknown or corrupt content coding)."""


def _inflate(decoder: Any, data: bytes, room: int) -> list[bytes]:
    """Inflate `data` (and what an earlier step left unconsumed) into at most `room` + 1 bytes."""
    out: list[bytes] = []
    try:
        data = decoder.unconsumed_tail + data
        while data and room > 0 and not decoder.eof:
            chunk = decoder.decompress(data, room)
            out.append(chunk)
            room -= len(chunk)
            data = decoder.unconsumed_tail
    except zlib.error as exc:
        raise BodyError(f"the body is not valid {'gzip' if decoder.wbits_gzip else 'deflate'} data ({exc})") from None
    return out


class _Inflater:
    """zlib's decompressor with what it was made for (zlib objects take no attributes)."""

    __slots__ = ("_z", "wbits_gzip")

    def __init__(self, gzip: bool) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self.wbits_gzip = gzip

    def decompress(self, data: bytes, room: int) -> bytes:
        return self._z.decompress(data, room)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._z.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self._z.eof


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


async def read_capped(response: httpcore.Response, cap: int) -> tuple[bytes, bool]:
    """The body up to `cap` bytes (decoded) and whether it was cut; beyond the cap nothing more is read.

    A compressed body is inflated in steps of at most what is left of the cap, so a gzip bomb
    costs no more memory than a plain body of the cap's size.
    """
    decoder = _decoder(response.headers)
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_stream():
        for chunk in (raw,) if decoder is None else _inflate(decoder, raw, cap + 1 - size):
            size += len(chunk)
            if size > cap:
                chunks.append(chunk[: len(chunk) - (size - cap)])
                return b"".join(chunks), True
            chunks.append(chunk)
    if decoder is not None and not decoder.eof and size:
        raise BodyError("the compressed body ends before its compressed stream does")
    return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False
