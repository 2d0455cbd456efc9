"""The hot-path signer is the standard HMAC: same bytes as ``hmac.digest``, and one message
never leaks into the next (each is signed on a copy of the keyed state)."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from northgate.core.signing import Signer


@given(key=st.binary(min_size=1, max_size=100), messages=st.lists(st.binary(), max_size=4))
def test_each_message_gets_the_standard_hmac_sha256(key: bytes, messages: list[bytes]) -> None:
    mac = Signer(key)
    for message in messages:
        assert mac.digest(message) == hmac.digest(key, message, hashlib.sha256)
