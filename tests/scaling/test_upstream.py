"""The upstream file: `server` lines nginx includes, read back by `northgate scale`."""

from __future__ import annotations

from pathlib import Path

import pytest

from northgate.scaling import upstream


def test_written_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "upstream.conf"
    assert upstream.read_ports(path) == []
    upstream.write(path, "127.0.0.1", [8000, 8001])
    assert path.read_text().endswith("server 127.0.0.1:8000;\nserver 127.0.0.1:8001;\n")
    assert upstream.read_ports(path) == [8000, 8001]
    upstream.write(path, "127.0.0.1", [8000])
    assert upstream.read_ports(path) == [8000]
    assert [p.name for p in path.parent.iterdir()] == ["upstream.conf"]  # no temporary left


def test_an_operator_s_lines_are_read_too() -> None:
    text = "# by hand\n  server 10.0.0.5:8000 max_fails=3;\nserver localhost:8003;\n"
    assert upstream.ports_in(text) == [8000, 8003]


def test_never_empty() -> None:
    with pytest.raises(ValueError):
        upstream.render("127.0.0.1", [])
