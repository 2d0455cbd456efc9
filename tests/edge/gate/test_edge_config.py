"""What `northgate edge-keys` gives nginx: the keys it needs and nothing that could forge
anything else, readable by its owner only."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from northgate.core.signing import Purpose, derive_key
from northgate.edge.gate.edge_config import _redis, edge_config, write_edge_config
from northgate.settings import Settings

SECRET = "edge config tests: not a secret, 0123456789abcdef"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(secret_key=SECRET, redis_url="redis://:p%40ss@10.0.0.5:6380/2")


def test_only_the_edges_keys_never_the_secret(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "edge-keys.json"
    write_edge_config(settings, target)
    text = target.read_text()
    secret = settings.effective_secret_key
    assert secret.decode() not in text
    assert secret.hex() not in text
    loaded = json.loads(text)
    assert loaded["keys"] == {
        "pass": derive_key(secret, Purpose.PASS).hex(),
        "place": derive_key(secret, Purpose.PLACE).hex(),
    }
    for purpose in set(Purpose) - {Purpose.PASS, Purpose.PLACE}:
        assert derive_key(secret, purpose).hex() not in text, purpose
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_redis_as_the_edge_reads_it(settings: Settings) -> None:
    assert edge_config(settings)["redis"] == {
        "host": "10.0.0.5", "port": 6380, "socket": "", "db": 2, "password": "p@ss",
    }  # fmt: skip
    assert _redis("") == {}
    assert _redis("unix:///run/redis/redis.sock")["socket"] == "/run/redis/redis.sock"
    with pytest.raises(ValueError, match="TLS"):
        _redis("rediss://example:6379/0")


def test_the_edge_gets_the_waiting_rooms_words_in_both_languages(settings: Settings) -> None:
    room = edge_config(settings)["room"]
    assert room["texts"]["fr"]["soon"] == "moins d’une minute"
    assert room["counterparts"]["/en/eta/apply"] == "/fr/ave/demande"
    assert room["api_prefix"] == "/api/"
    assert room["languages"] == {"fr": "/fr"}
