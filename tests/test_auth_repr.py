"""Secrets stay out of reprs, which end up in tracebacks, logs and assertion messages."""

from __future__ import annotations

from govstack_conform.engine.credentials import Credentials


def test_credentials_repr_hides_secret_values() -> None:
    creds = Credentials(bearer="TOKEN-VALUE-1", api_key="KEY-VALUE-2", basic_user="u", basic_password="PW-VALUE-3")
    text = repr(creds)
    assert "TOKEN-VALUE-1" not in text and "KEY-VALUE-2" not in text and "PW-VALUE-3" not in text
    assert "basic_user='u'" in text
