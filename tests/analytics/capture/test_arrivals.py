"""The compiled counter against its specification (northgate.analytics.capture.arrivals).

The tap counts every request with ``_arrivals.Arrivals`` (C). These tests hold it to the
Python ``Arrivals``: the same requests give the same counts per raw key, in every shape a
server or a hostile client may send; errors leave what was counted untouched; nothing leaks.
"""

from __future__ import annotations

import math
import sys
import tracemalloc
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northgate.analytics.capture._arrivals import Arrivals as Compiled
from northgate.analytics.capture._arrivals import Round
from northgate.analytics.capture.arrivals import Arrivals as Specification
from northgate.analytics.capture.arrivals import Taken
from northgate.analytics.capture.countries import StaticResolver
from northgate.analytics.capture.outcomes import OUTCOME_HINT, SECTION_HINT
from northgate.analytics.capture.recorder import Recorder
from northgate.analytics.capture.salts import DailySalts, MemorySaltStore

IMPLEMENTATIONS = [Specification, Compiled]


def make(cls: Any, *, forwarded: bool = True) -> Any:
    return cls(wants_forwarded_for=forwarded, outcome_hint=OUTCOME_HINT, section_hint=SECTION_HINT)


def counted(taken: Taken) -> Counter[tuple[Any, ...]]:
    """Arrivals per raw key; each raw key is handed over once."""
    out: Counter[tuple[Any, ...]] = Counter()
    for key, n in taken:
        assert key not in out, key
        out[key] = n
    return out


def fresh(value: Any) -> Any:
    """An equal object that is not the same one, as a server makes for every request."""
    if isinstance(value, bytes):
        return bytes(bytearray(value))
    if isinstance(value, str):
        return "".join(list(value))
    return value


header_names = st.sampled_from(
    [b"user-agent", b"x-forwarded-for", b"host", b"accept", b"User-Agent", b"user-agent "]
)
header_values = st.sampled_from(
    [b"", b"Mozilla/5.0", b"curl/8.0", b"1.2.3.4", b"9.9.9.9, 10.0.0.1", "\u00e9t\u00e9".encode()]
)
headers = st.lists(
    st.tuples(header_names, header_values).map(
        lambda pair: pair if pair[1] != b"" else [pair[0], pair[1]]  # lists are pairs too
    ),
    max_size=6,
)
clients = st.one_of(
    st.none(),
    st.just(()),
    st.tuples(st.sampled_from(["127.0.0.1", "2001:db8::1", "8.8.8.8"]), st.integers(0, 65535)),
    st.sampled_from([["10.0.0.1", 1]]),
)
states: st.SearchStrategy[dict[str, Any] | None] = st.one_of(
    st.none(),
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            OUTCOME_HINT: st.sampled_from(["queued", "shed", "nonsense", None]),
            SECTION_HINT: st.sampled_from(["eta", "status", None]),
        },
    ),
)
# Seconds near minute edges and far from them, negative included.
times = st.one_of(
    st.floats(-1e10, 1e10, allow_nan=False),
    st.integers(-3, 3).map(lambda k: 1_700_000_000.0 + 60 * k),
    st.integers(-3, 3).map(lambda k: math.nextafter(1_700_000_040.0 + 60 * k, 0)),
    st.integers(0, 10**10),
)
requests = st.lists(
    st.fixed_dictionaries(
        {
            "started": times,
            "path": st.sampled_from(["/en/eta", "/fr/ave", "/", "/en/eta/\u00e9", "/\U0001f600"]),
            "headers": headers,
            "client": clients,
            "status": st.sampled_from([200, 404, 503, 0, -1]),
            "retry_after": st.booleans(),
            "state": states,
        }
    ),
    max_size=40,
)


def replay(counter: Any, batch: list[dict[str, Any]], repeat: int) -> None:
    for _ in range(repeat):
        for r in batch:
            scope = {
                "type": "http",
                "path": fresh(r["path"]),
                "headers": [tuple(fresh(v) for v in pair) for pair in r["headers"]]
                if repeat > 1
                else r["headers"],
                "client": r["client"],
            }
            counter.arrive(r["started"], scope, r["status"], r["retry_after"], r["state"])


@settings(max_examples=300, deadline=None)
@given(batch=requests, forwarded=st.booleans(), repeat=st.integers(1, 3))
def test_the_compiled_counter_counts_as_the_specification(
    batch: list[dict[str, Any]], forwarded: bool, repeat: int
) -> None:
    expected, actual = make(Specification, forwarded=forwarded), make(Compiled, forwarded=forwarded)
    replay(expected, batch, repeat)
    replay(actual, batch, repeat)
    assert actual.pending() == expected.pending() == len(batch) * repeat
    assert len(actual) == len(expected)
    assert counted(actual.swap()) == counted(expected.swap())
    assert actual.pending() == len(actual) == 0


@settings(max_examples=500, deadline=None)
@given(started=st.floats(-9e15, 9e15, allow_nan=False))
def test_minutes_are_pythons_floor_division(started: float) -> None:
    counter = make(Compiled)
    counter.arrive(started, {"path": "/", "headers": []}, 200, False, None)
    ((key, _),) = counted(counter.swap()).items()
    assert key[0] == int(started // 60)


@pytest.mark.parametrize("cls", IMPLEMENTATIONS)
def test_many_distinct_arrivals_each_keep_their_count(cls: Any) -> None:
    counter = make(cls)
    agents = [f"agent {i}".encode() for i in range(30_000)]
    for round_ in range(3):
        for agent in agents:
            scope = {"path": "/en/eta", "headers": [(b"user-agent", agent)], "client": None}
            counter.arrive(1_700_000_000.0, scope, 200, False, None)
        assert len(counter) == len(agents)
        assert counter.pending() == len(agents) * (round_ + 1)
    counts = counted(counter.swap())
    assert len(counts) == len(agents)
    assert set(counts.values()) == {3}
    assert {key[4] for key in counts} == set(agents)


@pytest.mark.parametrize("cls", IMPLEMENTATIONS)
def test_several_forwarded_for_headers_are_one_list_in_order(cls: Any) -> None:
    counter = make(cls)
    scope = {
        "path": "/",
        "headers": [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2, 3.3.3.3")],
        "client": ("127.0.0.1", 1),
    }
    counter.arrive(0.0, scope, 200, False, None)
    ((key, _),) = counted(counter.swap()).items()
    assert key[3] == b"1.1.1.1,2.2.2.2, 3.3.3.3"
    assert key[2] == "127.0.0.1"


@pytest.mark.parametrize("cls", IMPLEMENTATIONS)
def test_forwarded_for_is_not_read_without_a_trusted_proxy(cls: Any) -> None:
    counter = make(cls, forwarded=False)
    scope = {"path": "/", "headers": [(b"x-forwarded-for", b"6.6.6.6")], "client": ("1.2.3.4", 1)}
    counter.arrive(0.0, scope, 200, False, None)
    ((key, _),) = counted(counter.swap()).items()
    assert key[3] is None


BAD_REQUESTS = [
    ({"headers": []}, KeyError),  # no path
    ({"path": "/"}, KeyError),  # no headers
    ({"path": "/", "headers": [(b"user-agent", b"x", b"extra")]}, ValueError),
    ({"path": "/", "headers": [b"user-agent"]}, ValueError),
    ({"path": "/", "headers": 7}, TypeError),
    ({"path": "/", "headers": [7]}, TypeError),
    ({"path": ["unhashable"], "headers": []}, TypeError),
]


@pytest.mark.parametrize("cls", IMPLEMENTATIONS)
@pytest.mark.parametrize(("scope", "error"), BAD_REQUESTS)
def test_a_malformed_request_is_refused_and_loses_nothing(
    cls: Any, scope: dict[str, Any], error: type[Exception]
) -> None:
    counter = make(cls)
    good = {"path": "/", "headers": [(b"user-agent", b"a")], "client": ("8.8.8.8", 1)}
    counter.arrive(60.0, good, 200, False, None)
    with pytest.raises(error):
        counter.arrive(60.0, scope, 200, False, None)
    counter.arrive(60.0, dict(good), 200, False, None)
    assert counter.pending() == 2
    assert list(counted(counter.swap()).values()) == [2]


@pytest.mark.parametrize("started", [math.nan, math.inf, -math.inf, "soon", None])
def test_a_time_that_is_not_a_time_is_refused(started: Any) -> None:
    counter = make(Compiled)
    with pytest.raises((ValueError, TypeError, OverflowError)):
        counter.arrive(started, {"path": "/", "headers": []}, 200, False, None)
    assert counter.pending() == 0


def test_a_scope_must_be_a_dict_and_arguments_are_five() -> None:
    counter = make(Compiled)
    with pytest.raises(TypeError, match="dict"):
        counter.arrive(0.0, [("path", "/")], 200, False, None)
    with pytest.raises(TypeError, match="5 arguments"):
        counter.arrive(0.0, {"path": "/", "headers": []}, 200, False)


def test_different_arrivals_with_equal_hashes_keep_separate_counts() -> None:
    """Unlike the specification (which counts by the key's hash), the compiled counter
    compares every field before it adds to a slot."""

    class Hint:
        def __init__(self, name: str) -> None:
            self.name = name

        def __hash__(self) -> int:
            return 42

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Hint) and other.name == self.name

    counter = make(Compiled)
    for name in ["a", "b", "a", "c", "b", "a"]:
        scope = {"path": "/", "headers": []}
        counter.arrive(0.0, scope, 200, False, {OUTCOME_HINT: Hint(name)})
    counts = counted(counter.swap())
    assert sorted((key[7].name, n) for key, n in counts.items()) == [("a", 3), ("b", 2), ("c", 1)]


def test_counting_from_inside_a_count_is_refused() -> None:
    counter = make(Compiled)

    class Sneaky:
        def __hash__(self) -> int:
            counter.arrive(0.0, {"path": "/", "headers": []}, 200, False, None)
            return 1

    counter.arrive(0.0, {"path": "/", "headers": []}, 200, False, None)
    with pytest.raises(RuntimeError, match="re-entered"):
        counter.arrive(0.0, {"path": "/", "headers": []}, 200, False, {SECTION_HINT: Sneaky()})
    assert counter.pending() == 1


def test_an_uninitialised_counter_is_refused() -> None:
    counter = Compiled.__new__(Compiled)
    with pytest.raises(RuntimeError, match="not initialised"):
        counter.arrive(0.0, {"path": "/", "headers": []}, 200, False, None)
    with pytest.raises(RuntimeError, match="not initialised"):
        counter.swap()


def test_nothing_is_kept_after_a_swap() -> None:
    """Every field is released once its swap is gone: reference counts return to where
    they were (a leak of one reference a request would show here as 2,000)."""
    counter = make(Compiled)
    path, peer, agent, forwarded = "/en/eta/x", "203.0.113.9", b"agent/1.0", b"198.51.100.7"
    hint, section, status = "queued", "eta", 10_000 + 299  # not a cached small int
    objects = [path, peer, agent, forwarded, hint, section, status]
    before = [sys.getrefcount(o) for o in objects]
    for i in range(1000):
        headers = [(b"user-agent", agent), (b"x-forwarded-for", forwarded)]
        scope = {"path": path, "headers": headers, "client": (peer, i)}
        state = {OUTCOME_HINT: hint, SECTION_HINT: section}
        counter.arrive(60.0 * (i % 2), scope, status, False, state)
        # A second X-Forwarded-For makes a new joined value, which must be freed too.
        headers.append((b"x-forwarded-for", forwarded))
        counter.arrive(60.0 * (i % 2), scope, status, False, state)
    assert len(counter) == 4
    assert sum(n for _, n in counter.swap()) == 2000
    del headers, scope, state
    assert [sys.getrefcount(o) for o in objects] == before


def test_a_round_dropped_unread_or_half_read_releases_everything() -> None:
    """A round the flusher never read (it failed) or stopped reading frees what it holds."""
    path, agent = "/en/eta/y", b"agent/2.0"
    before = [sys.getrefcount(path), sys.getrefcount(agent)]
    for read in (0, 1, 50):
        counter = make(Compiled)
        for i in range(100):
            scope = {"path": path, "headers": [(b"user-agent", agent)], "client": (str(i), 1)}
            counter.arrive(0.0, scope, 200, False, None)
        taken = counter.swap()
        pairs = [next(taken) for _ in range(read)]
        del taken, pairs, scope
        assert [sys.getrefcount(path), sys.getrefcount(agent)] == before, read


@pytest.mark.parametrize("cls", IMPLEMENTATIONS)
def test_a_swap_hands_over_each_arrival_once(cls: Any) -> None:
    """Counted before the swap: in its round, read once. Counted after, even before the
    round is read: in the next round only."""
    counter = make(cls)
    scope = {"path": "/", "headers": [], "client": ("203.0.113.1", 1)}
    counter.arrive(0.0, scope, 200, False, None)
    counter.arrive(0.0, scope, 200, False, None)
    first = counter.swap()
    assert counter.pending() == 0 and len(counter) == 0
    counter.arrive(0.0, scope, 404, False, None)
    assert [n for _, n in first] == [2]
    assert list(first) == []  # read once
    ((key, n),) = counted(counter.swap()).items()
    assert (key[5], n) == (404, 1)


def test_a_round_is_made_only_by_a_swap() -> None:
    with pytest.raises(TypeError):
        Round()


def test_the_recorder_counts_with_the_compiled_counter() -> None:
    """The build compiled the extension and the tap uses it (the fallback is for places
    where it could not be built, and ~2x the cost a request)."""
    counting = Recorder(countries=StaticResolver({}), salts=DailySalts(MemorySaltStore()))
    assert type(counting.counter) is Compiled


def test_a_flood_rounds_table_is_given_back_after_a_quiet_round() -> None:
    """A round of 200,000 distinct arrivals grows the table to ~50 MB; the swap after a
    quiet round sizes it for that round again."""
    tracemalloc.start()
    try:
        counter = make(Compiled)
        agents = [b"flood %d" % i for i in range(200_000)]
        for agent in agents:
            counter.arrive(
                0.0, {"path": "/", "headers": [(b"user-agent", agent)]}, 200, False, None
            )
        del agents
        counter.swap()  # sized for a round like that one: kept
        flooded, _ = tracemalloc.get_traced_memory()
        counter.arrive(0.0, {"path": "/", "headers": []}, 200, False, None)
        counter.swap()
        quiet, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert flooded - quiet > 40_000_000, (flooded, quiet)


# ---------------------------------------------------------------- keys differing in one field
#
# The compiled counter finds a key's slot by a 64-bit hash of its fields, then compares
# every field before adding to it. Different arrivals almost never share a hash, so a
# comparison that skipped a field would go unseen; the arrivals below are made to share
# it. ``_table_hash`` is _arrivals.c's ``count()`` hash, and the section field is an
# object that equals any other like it but hashes as told: it cancels the difference in
# the hash, so the two keys land on one slot and differ, as far as ``==`` can tell, only
# in the field under test.

_MASK = (1 << 64) - 1


def _table_hash(minute: int, fields: tuple[Any, ...]) -> int:
    value = (minute * 0xC2B2AE3D27D4EB4F) & _MASK
    for field in fields:
        value = ((value ^ (hash(field) & _MASK)) * 0x9E3779B97F4A7C15) & _MASK
        value ^= value >> 29
    return value


def _as_hash(value: int) -> int:
    """An unsigned 64-bit value as what ``__hash__`` may return for it (-1 is reserved)."""
    signed = value - (1 << 64) if value >= 1 << 63 else value
    assert signed != -1
    return signed


class _Balancer:
    """Equal to any other _Balancer, hashed as told (the test's lever on the table hash)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def copy(self) -> _Balancer:
        return _Balancer(self.value)

    def __hash__(self) -> int:
        return self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Balancer)


class _Named:
    """Equal by name, and every one hashes alike: keys differing only here share a hash."""

    def __init__(self, name: str) -> None:
        self.name = name

    def copy(self) -> _Named:
        return _Named(self.name)

    def __hash__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Named) and other.name == self.name

    def __repr__(self) -> str:
        return f"_Named({self.name!r})"


# The raw key's fields, in order, each with values the tap may see; the first two values
# of a field have the same type and length and differ in their last character (the
# compiled counter compares those bytes).
KEY_FIELDS: list[tuple[str, list[Any]]] = [
    ("minute", [0, 1, -1]),
    ("path", ["/en/eta", "/en/etb", "/fr/ave", "/", "/en/\u00e9ta"]),
    ("peer", ["203.0.113.1", "203.0.113.2", None]),
    ("forwarded_for", [b"1.1.1.1", b"1.1.1.2", None]),
    ("agent", [b"Mozilla/5.0", b"Mozilla/5.1", b""]),
    ("status", [200, 404, 503]),
    ("retry_after", [False, True]),
    ("hint", ["queued", "queuee", "shed", None]),
    ("section", [_Named("eta"), _Named("ave")]),
]


def _arrive(counter: Any, key: dict[str, Any], section: Any) -> None:
    """Every field a new object, as a server makes them: equal, never the same."""
    headers = [(b"user-agent", fresh(key["agent"]))]
    if key["forwarded_for"] is not None:
        headers.append((b"x-forwarded-for", fresh(key["forwarded_for"])))
    scope = {
        "path": fresh(key["path"]),
        "headers": headers,
        "client": (fresh(key["peer"]), 1) if key["peer"] is not None else None,
    }
    state = {OUTCOME_HINT: fresh(key["hint"]), SECTION_HINT: section.copy()}
    counter.arrive(60.0 * key["minute"] + 1.5, scope, key["status"], key["retry_after"], state)


def _fields(key: dict[str, Any], section: Any) -> tuple[Any, ...]:
    names = ["path", "peer", "forwarded_for", "agent", "status", "retry_after", "hint"]
    return (*(key[name] for name in names), section)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    changed=st.sampled_from([name for name, _ in KEY_FIELDS]),
    order=st.lists(st.booleans(), min_size=2, max_size=12),
)
def test_keys_differing_in_any_one_field_are_counted_apart(
    data: st.DataObject, changed: str, order: list[bool]
) -> None:
    """Two arrivals on one slot of the table, differing only in ``changed``: the compiled
    counter must keep them apart, exactly as the specification does."""
    first = {name: data.draw(st.sampled_from(values), label=name) for name, values in KEY_FIELDS}
    alternatives = [v for v in dict(KEY_FIELDS)[changed] if v != first[changed]]
    second = first | {changed: data.draw(st.sampled_from(alternatives), label="other")}
    if changed == "section":
        # _Named values all hash alike: nothing to balance.
        sections = (first["section"], second["section"])
    else:
        one = _Balancer(_as_hash(12345))
        rest = _fields(first, one)[:-1], _fields(second, one)[:-1]
        apart = _table_hash(first["minute"], rest[0]) ^ _table_hash(second["minute"], rest[1])
        sections = (one, _Balancer(_as_hash((hash(one) & _MASK) ^ apart)))
        assert _table_hash(first["minute"], _fields(first, sections[0])) == _table_hash(
            second["minute"], _fields(second, sections[1])
        )
    picks = [True, False, *order]  # both keys at least once
    expected, actual = make(Specification), make(Compiled)
    for counter in (expected, actual):
        for pick in picks:
            key, section = (first, sections[0]) if pick else (second, sections[1])
            _arrive(counter, key, section)
    counts = counted(actual.swap())
    field = [name for name, _ in KEY_FIELDS].index(changed)
    assert {key[field]: n for key, n in counts.items()} == {
        first[changed]: picks.count(True),
        second[changed]: picks.count(False),
    }
    if changed != "section":
        # The specification counts by the key's hash, which it cannot share here (the
        # section field's hash differs); for section it would, and it then merges them.
        assert counts == counted(expected.swap())
