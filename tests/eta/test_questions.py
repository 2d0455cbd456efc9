from __future__ import annotations

import re
import tomllib
from datetime import date
from importlib import resources
from typing import Any

import pytest

from northgate.core.lang import LANGUAGES
from northgate.eta.conditions import outcome, parse_condition
from northgate.eta.question_model import Field, Step
from northgate.eta.questions import QUESTION_SET, parse_question_set
from northgate.eta.validation import validate_step
from tests.eta.factories import TODAY, adult_answers, minor_answers, step


def visible_ids(answers: dict[str, Any]) -> list[str]:
    return [s.id for s in QUESTION_SET.visible_steps(answers, TODAY)]


def test_version() -> None:
    assert QUESTION_SET.version == "v1"


def test_every_step_and_field_has_english_and_french_text() -> None:
    for s in QUESTION_SET.steps:
        for lang in LANGUAGES:
            assert s.title(lang).strip()
            assert s.hints is None or s.hint(lang)
        assert s.title("en") != s.title("fr")
        for f in s.fields:
            for lang in LANGUAGES:
                assert f.label(lang).strip()
                assert all(option.label(lang).strip() for option in f.options)
            assert f.label("en") != f.label("fr")
            if f.type in ("email", "passport_number"):
                assert f.confirm_label("en") and f.confirm_label("fr")
            if f.type == "yes_no_details":
                assert f.details_label("en") and f.details_label("fr")


def test_slugs_are_unique_per_language_and_url_safe() -> None:
    for lang in LANGUAGES:
        slugs = [s.slug(lang) for s in QUESTION_SET.steps]
        assert len(slugs) == len(set(slugs))
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in slugs)


def test_step_lookup_by_id_and_slug() -> None:
    passport = step("passport-number")
    assert QUESTION_SET.step_by_slug("numero-de-passeport", "fr") is passport
    assert QUESTION_SET.step_by_slug("passport-number", "en") is passport
    assert QUESTION_SET.step_by_slug("passport-number", "fr") is None
    assert QUESTION_SET.step("nope") is None


def test_sections_are_defined_and_used() -> None:
    used = {s.section for s in QUESTION_SET.steps}
    defined = {s.id for s in QUESTION_SET.sections}
    assert used == defined
    section = QUESTION_SET.section("passport")
    assert section is not None and section.title("fr") == "Passeport"


def test_fields_carry_html_hints() -> None:
    surname = step("name").field("surname")
    assert surname is not None
    assert (surname.autocomplete, surname.spellcheck, surname.max_length) == (
        "family-name",
        False,
        100,
    )
    dob = step("date-of-birth").field("date_of_birth")
    assert dob is not None and dob.autocomplete == "bday"
    assert dob.input_names == ("date_of_birth-day", "date_of_birth-month", "date_of_birth-year")
    assert dob.focus_id == "date_of_birth-day"
    email = step("email").field("email")
    assert email is not None and email.input_names == ("email", "email_confirm")
    assert [o.value for o in step("sex").fields[0].options] == ["F", "M", "X"]


def test_adult_applying_for_herself() -> None:
    ids = visible_ids(adult_answers())
    assert "your-relationship" not in ids and "your-details" not in ids
    assert "parent-or-guardian" not in ids
    assert "job" in ids
    assert "visa-history" not in ids
    assert ids[0] == "who-is-applying" and ids[-1] == "declaration"


def test_someone_else_shows_representative_pages() -> None:
    unpaid = visible_ids(adult_answers(applying_for="other", representative_relationship="unpaid"))
    assert "your-relationship" in unpaid and "your-details" in unpaid
    assert "your-organisation" not in unpaid
    paid = visible_ids(adult_answers(applying_for="other", representative_relationship="paid"))
    assert "your-organisation" in paid


def test_stale_answers_from_hidden_pages_open_nothing() -> None:
    answers = adult_answers(applying_for="myself", representative_relationship="paid")
    assert "your-organisation" not in visible_ids(answers)
    kept = QUESTION_SET.visible_answers(answers, TODAY)
    assert "representative_relationship" not in kept
    assert kept["surname"] == answers["surname"]


def test_minor_shows_guardian_page() -> None:
    assert "parent-or-guardian" in visible_ids(minor_answers())
    assert "parent-or-guardian" not in visible_ids({})
    # Turns 18 on 15 June 2024: the page applies the day before, not on the birthday.
    born = {"date_of_birth": "2006-06-15"}
    assert QUESTION_SET.applies("parent-or-guardian", born, date(2024, 6, 14))
    assert not QUESTION_SET.applies("parent-or-guardian", born, date(2024, 6, 15))


def test_applies_needs_the_pages_it_depends_on() -> None:
    stale = {"applying_for": "myself", "representative_relationship": "paid"}
    assert not QUESTION_SET.applies("your-organisation", stale, TODAY)
    assert step("your-relationship").is_visible({"applying_for": "other"}, TODAY)
    assert QUESTION_SET.applies("declaration", {}, TODAY)


@pytest.mark.parametrize(
    ("occupation", "shown"),
    [
        ("unemployed", False),
        ("retired", False),
        ("homemaker", False),
        ("student", True),
        ("health", True),
        (None, False),
    ],
)
def test_job_page_depends_on_occupation(occupation: str | None, shown: bool) -> None:
    answers = adult_answers(occupation=occupation)
    assert ("job" in visible_ids(answers)) is shown


def test_visa_history_only_for_conditional_countries() -> None:
    assert "visa-history" in visible_ids(adult_answers(passport_country="MX"))
    assert "visa-history" not in visible_ids(adult_answers(passport_country="FR"))


def test_other_citizenship_and_travel_date_follow_up() -> None:
    ids = visible_ids(adult_answers(has_other_citizenship="yes", travel_date_known="yes"))
    assert "other-citizenship-country" in ids and "travel-date" in ids
    ids = visible_ids(adult_answers())
    assert "other-citizenship-country" not in ids and "travel-date" not in ids


def test_navigation() -> None:
    myself = {"applying_for": "myself"}
    other = {"applying_for": "other", "representative_relationship": "paid"}
    assert QUESTION_SET.next_step("who-is-applying", myself, TODAY) == step("travel-document")
    assert QUESTION_SET.next_step("who-is-applying", other, TODAY) == step("your-relationship")
    assert QUESTION_SET.previous_step("travel-document", other, TODAY) == step("your-organisation")
    assert QUESTION_SET.previous_step("travel-document", myself, TODAY) == step("who-is-applying")
    assert QUESTION_SET.previous_step("who-is-applying", myself, TODAY) is None
    assert QUESTION_SET.next_step("declaration", myself, TODAY) is None
    # From a page the last answer just closed, navigation still moves on.
    assert QUESTION_SET.next_step("your-details", myself, TODAY) == step("travel-document")
    with pytest.raises(KeyError):
        QUESTION_SET.next_step("nope", myself, TODAY)


def test_progress_counts_only_pages_that_apply() -> None:
    answers = adult_answers()
    total = len(QUESTION_SET.visible_steps(answers, TODAY))
    assert QUESTION_SET.progress("who-is-applying", answers, TODAY) == (1, total)
    assert QUESTION_SET.progress("declaration", answers, TODAY) == (total, total)
    other = adult_answers(applying_for="other", representative_relationship="paid")
    assert QUESTION_SET.progress("declaration", other, TODAY) == (total + 3, total + 3)
    with pytest.raises(ValueError, match="does not apply"):
        QUESTION_SET.progress("your-details", answers, TODAY)


PROFILES = {
    "adult": adult_answers(),
    "minor": minor_answers(),
    "paid representative": adult_answers(applying_for="other", representative_relationship="paid"),
    "every branch": minor_answers(
        applying_for="other",
        representative_relationship="paid",
        passport_country="AR",
        has_other_citizenship="yes",
        travel_date_known="yes",
    ),
}


A_IS_X = {"field": "a", "equals": "x"}
B_IS_Y = {"field": "b", "equals": "y"}


@pytest.mark.parametrize(
    ("raw", "answers", "pending", "expected"),
    [
        (A_IS_X, {}, {"a"}, None),  # still to be asked
        (A_IS_X, {}, set(), False),  # never to be asked
        (A_IS_X, {"a": "x"}, set(), True),
        ({"all": [A_IS_X, B_IS_Y]}, {"a": "z"}, {"b"}, False),  # one false part settles it
        ({"all": [A_IS_X, B_IS_Y]}, {"a": "x"}, {"b"}, None),
        ({"any": [A_IS_X, B_IS_Y]}, {"a": "x"}, {"b"}, True),  # one true part settles it
        ({"any": [A_IS_X, B_IS_Y]}, {"a": "z"}, {"b"}, None),
        ({"not": A_IS_X}, {}, {"a"}, None),
        ({"not": A_IS_X}, {"a": "z"}, set(), True),
        ({"computed": "minor"}, {}, {"date_of_birth"}, None),
        ({"computed": "minor"}, {"date_of_birth": "1980-01-01"}, set(), False),
    ],
)
def test_a_condition_waits_only_on_answers_still_to_come(
    raw: dict[str, Any], answers: dict[str, Any], pending: set[str], expected: bool | None
) -> None:
    assert outcome(parse_condition(raw), answers, TODAY, frozenset(pending)) is expected


@pytest.mark.parametrize("answers", PROFILES.values(), ids=PROFILES.keys())
def test_the_number_of_questions_never_goes_up_and_ends_exact(answers: dict[str, Any]) -> None:
    """ "Question N of M": M is known from the first page (the most that may apply) and an
    answer may only lower it, never raise it; with every answer in, it is exact."""
    pages = QUESTION_SET.visible_steps(answers, TODAY)
    given: dict[str, Any] = {}
    totals = []
    for number, page in enumerate(pages, start=1):
        position, total = QUESTION_SET.progress(page.id, given, TODAY)
        assert position == number
        totals.append(total)
        given.update((n, answers[n]) for n in page.answer_names if n in answers)
    assert totals == sorted(totals, reverse=True)
    assert totals[0] == len(QUESTION_SET.steps)
    assert totals[-1] == len(pages)


def test_first_incomplete_step() -> None:
    assert QUESTION_SET.first_incomplete_step({}, TODAY) == step("who-is-applying")
    assert QUESTION_SET.first_incomplete_step(adult_answers(), TODAY) is None
    answers = adult_answers()
    del answers["email"]
    assert QUESTION_SET.first_incomplete_step(answers, TODAY) == step("email")
    # Optional given names do not make a page incomplete; a "yes" without details does.
    assert QUESTION_SET.first_incomplete_step(adult_answers(given_names=None), TODAY) is None
    missing_details = adult_answers(tuberculosis="yes")
    assert QUESTION_SET.first_incomplete_step(missing_details, TODAY) == step("tuberculosis")
    assert QUESTION_SET.first_incomplete_step(adult_answers(consent=False), TODAY) == step(
        "declaration"
    )


def _document() -> dict[str, Any]:
    text = resources.files("northgate.eta").joinpath("data", "questions.v1.toml").read_text()
    return tomllib.loads(text)


def _travel_date(document: dict[str, Any]) -> dict[str, Any]:
    (field,) = [f for s in document["steps"] for f in s["fields"] if f["name"] == "travel_date"]
    return field  # type: ignore[no-any-return]


def test_the_packaged_file_parses_to_the_loaded_set() -> None:
    assert parse_question_set(_document()) == QUESTION_SET


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["steps"][0].update(colour="red"), "unknown keys"),
        (lambda d: d["steps"][0]["fields"][0].update(type="slider"), "unknown field type"),
        (lambda d: d["steps"][1].update(show_if={"field": "x", "maybe": "y"}), "unrecognised"),
        (lambda d: d["steps"][1].update(show_if={"computed": "tall"}), "unknown computed"),
        (
            lambda d: d["steps"][0].update(show_if={"field": "surname", "equals": "x"}),
            "not asked before",
        ),
        (lambda d: d["steps"][1]["fields"][0].update(name="applying_for"), "reuses"),
        (lambda d: d["steps"][1].update(id="who-is-applying"), "duplicate en slugs"),
        (lambda d: d["steps"][0]["title"].pop("fr"), "'en' and 'fr'"),
        (lambda d: d["steps"][0]["fields"][0].update(options=[]), "needs options"),
        (lambda d: d["steps"][0].update(section="elsewhere"), "unknown section"),
        (lambda d: d["steps"][0]["fields"][0].update(before=["date_of_birth"]), "date rules"),
        (lambda d: d["steps"][0]["fields"][0].update(format="name"), "format"),
        (lambda d: d["steps"][0]["fields"][0].update(example_in_days=9), "date rules"),
        (lambda d: _travel_date(d).pop("example_in_days"), "example_in_days"),
        (lambda d: _travel_date(d)["hint"].update(fr="Par exemple, 14 7 2026"), "every hint"),
    ],
)
def test_malformed_question_files_are_refused(change: Any, error: str) -> None:
    document = _document()
    change(document)
    with pytest.raises(ValueError, match=error):
        parse_question_set(document)


EXAMPLE_FIELDS = [
    (page, field) for page in QUESTION_SET.steps for field in page.fields if field.example_in_days
]


@pytest.mark.parametrize("today", [TODAY, date(2026, 12, 5), date(2041, 2, 28)])
@pytest.mark.parametrize(
    ("page", "field"), EXAMPLE_FIELDS, ids=[field.name for _, field in EXAMPLE_FIELDS]
)
def test_date_examples_are_derived_from_today_and_pass_their_own_rules(
    today: date, page: Step, field: Field
) -> None:
    """A fixed example ("14 7 2026") goes stale: each is drawn from today, and typing the
    examples of a page as shown is accepted."""
    shown = page.on(today).field(field.name)
    example = field.example(today)
    assert shown is not None and example is not None
    for lang in LANGUAGES:
        hint = shown.hint(lang)
        assert hint is not None
        assert hint.endswith(f"{example.day} {example.month} {example.year}")
        assert "{" not in hint
    form = {
        other.part_name(part): str(getattr(other.example(today), part))
        for other in page.fields
        for part in ("day", "month", "year")
    }
    earlier = {"date_of_birth": today.replace(year=today.year - 40).isoformat()}
    result = validate_step(page, form, earlier, today)
    assert result.ok, result.errors


def test_the_travel_date_example_is_ahead() -> None:
    (travel,) = [f for _, f in EXAMPLE_FIELDS if f.name == "travel_date"]
    example = travel.example(TODAY)
    assert example is not None and example > TODAY
    assert len(EXAMPLE_FIELDS) == 3  # the passport's two dates as well
