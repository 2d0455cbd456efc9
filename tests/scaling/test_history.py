"""The scaling history: one JSON object a line, appended, read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from northgate.scaling import history
from northgate.scaling.history import ScalingEvent

AT = datetime(2016, 11, 8, 21, 0, 5, tzinfo=UTC)


def test_events_are_appended_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "var" / "scaling.jsonl"
    assert history.read(path) == []
    out = ScalingEvent(AT, 1, 3, 12.3456, (8000, 8001, 8002))
    back = ScalingEvent(AT, 3, 1, 4.5, (8000,))
    history.append(path, out)
    history.append(path, back)
    assert history.read(path) == [
        ScalingEvent(AT, 1, 3, 12.346, (8000, 8001, 8002)),
        back,
    ]
    first = json.loads(path.read_text().splitlines()[0])
    assert first == {
        "at": "2016-11-08T21:00:05+00:00",
        "from": 1,
        "to": 3,
        "seconds": 12.346,
        "ports": [8000, 8001, 8002],
    }
