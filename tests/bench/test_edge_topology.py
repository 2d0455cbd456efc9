"""The edge benchmark rewrites the example nginx configuration line by line: it must keep up
with the example (a line it no longer finds would stop `make bench`, not the tests)."""

from __future__ import annotations

from pathlib import Path

from bench.edge.topology import EXAMPLE, configure


def test_the_bench_configures_the_example_as_it_is(tmp_path: Path) -> None:
    config = configure(
        EXAMPLE.read_text(),
        root=tmp_path / "static",
        port=8080,
        upstream=9000,
        logs=tmp_path,
        keys=tmp_path / "keys.json",
    )
    assert "listen 127.0.0.1:8080" in config
    assert config.count("server 127.0.0.1:9000;") == 2
    directives = "".join(line for line in config.splitlines() if not line.strip().startswith("#"))
    for deployed in ("/etc/northgate", "/run/northgate", "/var/log/nginx", "/srv/northgate"):
        assert deployed not in directives
