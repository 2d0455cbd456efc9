"""Random identifiers for visitors and passes, from ``os.urandom`` read 4 KB at a time.

``secrets.token_urlsafe`` makes one ``getrandom`` system call per identifier; on the
waiting room's hot path (a new visitor id for every arrival without a cookie) that call was
a tenth of the gate's CPU in the overload profile. The bytes are the same CSPRNG output,
handed out once each; a forked child starts with an empty buffer, so no two processes
share identifiers. Safe to call from several threads.
"""

from __future__ import annotations

import base64
import os
import threading

_BLOCK = 4096


class _RandomBytes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._offset = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            end = self._offset + count
            if end > len(self._buffer):
                self._buffer, self._offset, end = os.urandom(max(_BLOCK, count)), 0, count
            start, self._offset = self._offset, end
            return self._buffer[start:end]

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._buffer, self._offset = b"", 0


_random = _RandomBytes()
os.register_at_fork(after_in_child=_random.forget)


def token(nbytes: int) -> str:
    """``nbytes`` random bytes as unpadded base64url, like ``secrets.token_urlsafe``."""
    return base64.urlsafe_b64encode(_random.take(nbytes)).rstrip(b"=").decode("ascii")
