"""The generated signing key: one per ``var/``, whichever worker starts first.

Workers of one node start together with no NORTHGATE_SECRET_KEY; if each kept the key it
generated, a pass signed by one would be refused by the next and an admitted visitor sent
back to the line. Real processes, started together, against a real directory.
"""

from __future__ import annotations

import multiprocessing
import stat
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from pydantic import SecretStr

from northgate.settings import Settings

WORKERS = 6
ROUNDS = 40


def _start_worker(var_dir: Path, together: Barrier, keys: Queue[bytes]) -> None:
    together.wait()
    keys.put(Settings(var_dir=var_dir).effective_secret_key)


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_number in range(ROUNDS):
        var_dir = tmp_path / str(round_number)
        together = context.Barrier(WORKERS)
        keys: Queue[bytes] = context.Queue()
        workers = [
            context.Process(target=_start_worker, args=(var_dir, together, keys))
            for _ in range(WORKERS)
        ]
        for worker in workers:
            worker.start()
        seen = {keys.get(timeout=30) for _ in workers}
        for worker in workers:
            worker.join()
        (key,) = seen
        assert len(key) >= 32
        assert key == (var_dir / "secret_key").read_bytes()
        assert sorted(p.name for p in var_dir.iterdir()) == ["secret_key"]  # no drafts left
        assert stat.S_IMODE((var_dir / "secret_key").stat().st_mode) == 0o600


def test_the_key_survives_a_restart(tmp_path: Path) -> None:
    first = Settings(var_dir=tmp_path).effective_secret_key
    assert Settings(var_dir=tmp_path).effective_secret_key == first


def test_a_configured_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, secret_key=SecretStr("s" * 32))
    assert settings.effective_secret_key == b"s" * 32
    assert list(tmp_path.iterdir()) == []
