"""The waiting room's estimate is honest from the first one shown: people are admitted no
later than the time first promised, even when the node lets people in far slower than the
configured ceiling (adaptive mode)."""

from __future__ import annotations

import pytest

from northgate.edge.gate.core import Admission
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.visitor import Visitor
from tests.edge.gate.test_queue import T0, make_core


async def test_first_estimate_is_kept_when_the_node_is_slower_than_the_ceiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [T0]
    core = make_core(MemoryBackend(), mode="adaptive", admissions_per_minute=60_000)
    core.clock = lambda: clock[0]
    core.limiter._probe = None  # skip the start-up latency measurement
    guard = core.guard
    monkeypatch.setattr(guard, "may_wait", lambda: False)  # no brief wait for a slot
    guard.in_flight = guard.limit  # the node is busy: nobody walks in
    line: list[Visitor] = []
    for n in range(40):
        waiting = await core.admit(Visitor(f"v{n}"), clock[0])
        assert not waiting.admitted
        line.append(waiting.visitor)
    first_due: dict[str, int] = {}
    admitted_at: dict[str, float] = {}
    for _second in range(60):  # one slot frees a second: the line moves at 1 a second
        clock[0] += 1
        guard.in_flight = 0
        head = await core.admit(line[0], clock[0])
        assert head.admitted
        admitted_at[line.pop(0).id] = clock[0]
        guard.in_flight = guard.limit
        for i, visitor in enumerate(line):
            answer: Admission = await core.admit(visitor, clock[0])
            line[i] = answer.visitor
            if answer.due and visitor.id not in first_due:
                first_due[visitor.id] = answer.due
        await core.tick()
        if not line:
            break
    assert len(first_due) >= 20  # most waiters were shown a time
    late = [v for v, due in first_due.items() if admitted_at[v] > due]
    assert late == []
