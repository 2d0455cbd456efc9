"""The nginx upstream's servers, in a file of their own that northgate.conf includes.

The file holds only `server` lines: nginx reads it inside `upstream northgate { }`. It is
the record of which nodes are in rotation: `northgate scale` reads it to know where it
starts, and replaces it (whole, atomically) before each reload.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

HEADER = "# Written by `northgate scale`: the nodes in rotation. Edit with the command.\n"
_SERVER = re.compile(r"^\s*server\s+[^\s:;]+:(\d+)[\s;]", re.M)


def render(host: str, ports: Sequence[int]) -> str:
    if not ports:
        # nginx refuses an upstream without servers; scaling to zero is not scaling.
        raise ValueError("an upstream needs at least one node")
    return HEADER + "".join(f"server {host}:{port};\n" for port in ports)


def ports_in(text: str) -> list[int]:
    return [int(port) for port in _SERVER.findall(text)]


def read_ports(path: Path) -> list[int]:
    return ports_in(path.read_text()) if path.exists() else []


def write(path: Path, host: str, ports: Sequence[int]) -> None:
    """Replace the file at once: nginx (or a reload racing this) never reads half of it."""
    text = render(host, ports)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
