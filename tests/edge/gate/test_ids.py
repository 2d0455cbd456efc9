"""Random identifiers from keyed BLAKE2b over a counter: the shape of
secrets.token_urlsafe, never repeated, and not shared with a forked child."""

from __future__ import annotations

import os
import re

import pytest

from northgate.edge.gate import ids


def test_tokens_look_like_token_urlsafe_and_do_not_repeat() -> None:
    seen = {ids.token(12) for _ in range(5000)}
    assert len(seen) == 5000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", token) for token in seen)
    assert len(ids.token(9)) == 12 and len(ids.token(5000)) == 6667  # several blocks


@pytest.mark.servers  # forks a process
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_parents_bytes() -> None:
    ids.token(9)  # the parent's counter has moved on
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send its next token and leave at once
        os.write(write, ids.token(12).encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != ids.token(12)
    assert len(child) == 16
