"""Scaling events, appended one JSON object a line: the ops page reads them back.

Append-only: each event is one ``write`` of one line to a file opened with O_APPEND, so
two commands running at once never interleave inside a line, and nothing is rewritten.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class ScalingEvent:
    at: datetime  # when the decision was taken (aware, UTC)
    from_nodes: int
    to_nodes: int
    # Decision to serving (scale out: the new nodes answered through nginx) or to drained
    # and stopped (scale in).
    seconds: float
    ports: tuple[int, ...]  # the nodes in rotation afterwards

    def to_json(self) -> str:
        record = asdict(self)
        record["at"] = self.at.isoformat()
        record["from"] = record.pop("from_nodes")
        record["to"] = record.pop("to_nodes")
        record["seconds"] = round(self.seconds, 3)
        record["ports"] = list(self.ports)
        return json.dumps(record, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> ScalingEvent:
        record = json.loads(line)
        return cls(
            at=datetime.fromisoformat(record["at"]),
            from_nodes=int(record["from"]),
            to_nodes=int(record["to"]),
            seconds=float(record["seconds"]),
            ports=tuple(int(p) for p in record["ports"]),
        )


def append(path: Path, event: ScalingEvent) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (event.to_json() + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read(path: Path) -> list[ScalingEvent]:
    """Every event, oldest first; none when nothing was ever scaled."""
    if not path.exists():
        return []
    return [ScalingEvent.from_json(line) for line in path.read_text().splitlines() if line]
