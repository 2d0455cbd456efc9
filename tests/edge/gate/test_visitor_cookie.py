"""The visitor cookie (``ng_visitor``): what it round-trips, and every way a value is
refused (missing, too long, wrong shape, forged, signed but with a field that cannot be)."""

from __future__ import annotations

import pytest

from northgate.edge.gate.visitor import MAX_LENGTH, Visitor, VisitorCodec, new_visitor

KEY = b"k" * 32
codec = VisitorCodec(KEY, "eta")


def _signed(body: str) -> str:
    """A body signed as the codec signs (to test the checks made after the signature)."""
    return f"{body}.{codec._mac(body)}"


def test_a_visitor_round_trips() -> None:
    placed = Visitor("abc123", "g1", 42, 1_700_000_100, 1_700_000_000)
    assert codec.decode(codec.encode(placed)) == placed
    fresh = new_visitor()
    assert fresh.id and (fresh.gen, fresh.ticket, fresh.due, fresh.joined) == ("", 0, 0, 0)
    assert codec.decode(codec.encode(fresh)) == fresh
    assert new_visitor().id != fresh.id


def test_placing_and_unplacing_keep_the_id() -> None:
    visitor = Visitor("abc").placed("g", 3, 10, 5)
    assert visitor == Visitor("abc", "g", 3, 10, 5)
    assert visitor.unplaced() == Visitor("abc")


@pytest.mark.parametrize("value", [None, ""])
def test_no_cookie_is_no_visitor(value: str | None) -> None:
    assert codec.decode(value) is None


def test_the_longest_well_formed_value_fits_and_anything_longer_is_refused() -> None:
    biggest = 10**19 - 1  # the shape's widest number
    longest = Visitor("v" * 32, "g" * 32, biggest, biggest, biggest)
    value = codec.encode(longest)
    assert len(value) <= MAX_LENGTH
    assert codec.decode(value) == longest
    # One character past the shape's id width, even signed, is refused unread.
    assert codec.decode(codec.encode(longest._replace(id="v" * 33))) is None
    assert codec.decode(value + "." + "v" * (MAX_LENGTH - len(value))) is None
    assert codec.decode("v" * (MAX_LENGTH + 1)) is None


@pytest.mark.parametrize(
    "body",
    [
        ".g.1.0.0",  # empty visitor id
        "abc.g.x.0.0",  # ticket not a number
        "abc.g.1.y.0",  # due not a number
        "abc.g.1.0.z",  # joined not a number
        "abc.g.-1.0.0",  # negative
        "abc.g..0.0",  # empty ticket
        "abc.g.1.0.",  # empty joined
        "abc.g.1.0",  # a field missing
        "abc.g.1.0.0.0",  # a field too many
    ],
)
def test_a_signed_value_with_an_impossible_field_is_refused(body: str) -> None:
    assert codec.decode(_signed(body)) is None


def test_an_empty_generation_is_a_visitor_not_in_line() -> None:
    assert codec.decode(_signed("abc..0.0.0")) == Visitor("abc")


def test_forged_or_foreign_values_are_refused() -> None:
    value = codec.encode(Visitor("abc", "g", 1, 0, 0))
    body, mac = value.rsplit(".", 1)
    assert codec.decode(f"{body.replace('.1.', '.2.')}.{mac}") is None  # place changed
    assert codec.decode(f"{body}.{mac[:-1]}") is None  # signature cut
    assert codec.decode(f"{body}.") is None  # no signature
    assert codec.decode(VisitorCodec(b"x" * 32, "eta").encode(Visitor("abc"))) is None
    # Another event's cookie (same site key) is not this event's place.
    assert codec.decode(VisitorCodec(KEY, "other").encode(Visitor("abc"))) is None
    assert codec.decode("abc.g.1.0.0") is None  # unsigned
