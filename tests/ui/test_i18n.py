"""Accept-Language parsing and the choice between English and French."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northgate.ui.i18n import negotiate_language, parse_accept_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-US", "en"),
        ("en-CA,en;q=0.9,fr-CA;q=0.8", "en"),
        ("fr", "fr"),
        ("FR-ca", "fr"),
        ("de", "en"),
        ("de, fr;q=0.5", "fr"),
        ("de-DE,de;q=0.9,fr;q=0.2,en;q=0.1", "fr"),
        ("en;q=0.4, fr;q=0.6", "fr"),
        ("fr;q=0.5, en;q=0.5", "fr"),  # equal quality: the first listed wins
        ("en;q=0.5, fr;q=0.5", "en"),
        ("*", "en"),
        ("de, *;q=0.5, fr;q=0.1", "en"),  # "*" outranks French and means "anything": default
        ("", "en"),
    ],
)
def test_negotiation(header: str, expected: str) -> None:
    assert negotiate_language(header) == expected


def test_absent_header_means_english() -> None:
    assert negotiate_language(None) == "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr;q=0", "en"),
        ("fr;q=0, en;q=0.1", "en"),
        ("fr;q=0.0", "en"),
        ("en;q=0, fr;q=0.1", "fr"),
        ("en;q=0, fr;q=0", "en"),  # nothing acceptable: the default rather than an error
    ],
)
def test_q_zero_refuses_a_language(header: str, expected: str) -> None:
    assert negotiate_language(header) == expected


def test_parse_orders_by_quality_and_drops_refusals() -> None:
    ranges = parse_accept_language("de;q=0.1, fr-CA, en;q=0.5, es;q=0")
    assert [tag for tag, _ in ranges] == ["fr-ca", "en", "de"]
    assert ranges[0][1] == pytest.approx(1.0, abs=1e-3)
    assert ranges[1][1] == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize(
    "header",
    [
        "fr;q=abc",  # unreadable quality
        "fr;q=2",  # out of range
        "fr;q=-1",
        "fr;q=nan",
        "fr;q=inf",
        "fr/CA",  # not a language tag
        "<script>fr</script>",
        "f" * 36,  # longer than any tag
    ],
)
def test_malformed_ranges_are_skipped(header: str) -> None:
    assert parse_accept_language(header) == []
    assert negotiate_language(header) == "en"


def test_a_malformed_range_does_not_hide_a_good_one() -> None:
    assert negotiate_language("fr;q=bogus, xx!!, fr-CA;q=0.3") == "fr"


@pytest.mark.parametrize(
    "header",
    [
        ",,,,;;;;====",
        ";q=1",
        "q=0.5",
        "\x00\x01\x02",
        "é, ü;q=0.5",
        "fr;q=" + "9" * 5000,
        "fr-" * 100_000,
        ", ".join(["de"] * 100_000) + ", fr",
        "en;q=0.5;" * 10_000,
    ],
)
def test_garbage_and_huge_headers_never_raise(header: str) -> None:
    assert negotiate_language(header) in ("en", "fr")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_negotiation_never_raises_and_always_answers_a_site_language(header: str) -> None:
    assert negotiate_language(header) in ("en", "fr")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["en", "fr", "fr-CA", "en-GB", "de", "es", "*", "zh-Hant-TW"]),
            st.one_of(st.none(), st.floats(0, 1).map(lambda q: round(q, 3))),
        ),
        max_size=8,
    )
)
def test_well_formed_headers_pick_the_best_acceptable_site_language(
    ranges: list[tuple[str, float | None]],
) -> None:
    header = ", ".join(tag if q is None else f"{tag};q={q}" for tag, q in ranges)
    best: tuple[float, int, str] | None = None
    for position, (tag, q) in enumerate(ranges):
        quality = 1.0 if q is None else q
        primary = tag.split("-")[0].lower()
        if quality > 0 and primary in ("en", "fr", "*"):
            candidate = (quality, -position, "en" if primary == "*" else primary)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    expected = "en" if best is None else best[2]
    assert negotiate_language(header) == expected
