"""The question set as typed, immutable objects, and navigation through it.

``answers`` everywhere is the flat mapping of field name to cleaned value that the
applicant has given so far (the union of ``validation.validate_step(...).values``).
Field names are unique across the whole set, which the loader checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal, get_args

from northgate.core.lang import Lang
from northgate.eta.conditions import Condition, outcome

FieldType = Literal[
    "radio",
    "text",
    "textarea",
    "date",
    "country",
    "email",
    "passport_number",
    "yes_no_details",
    "year",
    "checkbox",
    "select",
]
FIELD_TYPES: frozenset[str] = frozenset(get_args(FieldType))
# How a text field is checked beyond its length: person names as printed in a passport,
# or the typed signature that must match the name given.
TextFormat = Literal["name", "signature"]
TEXT_FORMATS: frozenset[str] = frozenset(get_args(TextFormat))

DETAILS_MAX_LENGTH = 1000
# Generous defaults that still keep a single answer from filling a database row.
DEFAULT_MAX_LENGTH: Mapping[str, int] = {"text": 100, "textarea": 1000, "email": 254}
DATE_PARTS = ("day", "month", "year")
EXAMPLE = "{example}"  # in a date field's hint: a date relative to today (example_in_days)

Texts = Mapping[Lang, str]
# Who the questions are about: the person typing ("What is your name?") or someone they
# apply for ("What is the applicant's full name?"), decided by the first question.
Voice = Literal["self", "other"]


def voice_of(answers: Mapping[str, Any]) -> Voice:
    return "other" if answers.get("applying_for") == "other" else "self"


def _worded(texts: Texts | None, other: Texts | None, lang: Lang, voice: Voice) -> str | None:
    chosen = other if voice == "other" and other is not None else texts
    return chosen[lang] if chosen else None


@dataclass(frozen=True)
class Option:
    value: str
    labels: Texts

    def label(self, lang: Lang) -> str:
        return self.labels[lang]


YES_NO: tuple[Option, ...] = (
    Option("yes", {"en": "Yes", "fr": "Oui"}),
    Option("no", {"en": "No", "fr": "Non"}),
)


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    labels: Texts
    hints: Texts | None = None
    required: bool = True
    options: tuple[Option, ...] = ()
    max_length: int | None = None
    autocomplete: str | None = None
    spellcheck: bool | None = None
    format: TextFormat | None = None
    confirm_labels: Texts | None = None  # email, passport_number
    details_labels: Texts | None = None  # yes_no_details
    # Date rules, all relative to ``today`` or to other date fields (in this step or in the
    # answers already given); comparisons with other fields are strict.
    not_future: bool = False
    future: bool = False
    not_past: bool = False
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    max_age_years: int | None = None
    # The same texts worded for someone applying for another person (None: unchanged).
    other_labels: Texts | None = None
    other_hints: Texts | None = None
    other_confirm_labels: Texts | None = None
    other_details_labels: Texts | None = None
    # The autofill hint then: the loader sets it (see question_file).
    other_autocomplete: str | None = None
    # A date hint's example, this many days from today, fills "{example}" in the hint: a
    # fixed example ("14 7 2026") goes stale and ends up breaking the field's own rules.
    example_in_days: int | None = None

    def label(self, lang: Lang, voice: Voice = "self") -> str:
        return _worded(self.labels, self.other_labels, lang, voice) or ""

    def example(self, today: date) -> date | None:
        if self.example_in_days is None:
            return None
        return today + timedelta(days=self.example_in_days)

    def on(self, today: date) -> Field:
        """This field as shown on ``today``: its hint's example filled in."""
        example = self.example(today)
        if example is None or self.hints is None:
            return self
        shown = f"{example.day} {example.month} {example.year}"  # the order of the inputs
        hints = {lang: text.replace(EXAMPLE, shown) for lang, text in self.hints.items()}
        other_hints = self.other_hints and {
            lang: text.replace(EXAMPLE, shown) for lang, text in self.other_hints.items()
        }
        return replace(self, hints=hints, other_hints=other_hints)

    def hint(self, lang: Lang, voice: Voice = "self") -> str | None:
        return _worded(self.hints, self.other_hints, lang, voice)

    def confirm_label(self, lang: Lang, voice: Voice = "self") -> str | None:
        return _worded(self.confirm_labels, self.other_confirm_labels, lang, voice)

    def details_label(self, lang: Lang, voice: Voice = "self") -> str | None:
        return _worded(self.details_labels, self.other_details_labels, lang, voice)

    def autocomplete_for(self, voice: Voice) -> str | None:
        return self.other_autocomplete if voice == "other" else self.autocomplete

    @property
    def confirm_name(self) -> str:
        return f"{self.name}_confirm"

    @property
    def details_name(self) -> str:
        return f"{self.name}_details"

    def part_name(self, part: str) -> str:
        return f"{self.name}-{part}"

    @cached_property
    def input_names(self) -> tuple[str, ...]:
        """The HTML input names (and ids) this field posts, in page order."""
        if self.type == "date":
            return tuple(self.part_name(part) for part in DATE_PARTS)
        if self.type in ("email", "passport_number"):
            return (self.name, self.confirm_name)
        if self.type == "yes_no_details":
            return (self.name, self.details_name)
        return (self.name,)

    @cached_property
    def answer_names(self) -> tuple[str, ...]:
        """The keys this field saves in the answers (confirmations are not saved)."""
        if self.type == "yes_no_details":
            return (self.name, self.details_name)
        return (self.name,)

    @property
    def focus_id(self) -> str:
        """The input an error summary link should focus: the first one."""
        return self.input_names[0]

    @cached_property
    def option_values(self) -> frozenset[str]:
        return frozenset(option.value for option in self.options)

    def is_answered(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.name)
        if self.type == "checkbox":
            return value is True
        if value is None or value == "":
            return False
        if self.type == "yes_no_details" and value == "yes":
            return bool(answers.get(self.details_name))
        return True


@dataclass(frozen=True)
class Section:
    id: str
    titles: Texts

    def title(self, lang: Lang) -> str:
        return self.titles[lang]


@dataclass(frozen=True)
class Step:
    id: str  # English URL slug
    slug_fr: str
    titles: Texts
    fields: tuple[Field, ...]
    hints: Texts | None = None
    section: str | None = None
    show_if: Condition | None = None
    other_titles: Texts | None = None
    other_hints: Texts | None = None

    def slug(self, lang: Lang) -> str:
        return self.slug_fr if lang == "fr" else self.id

    def title(self, lang: Lang, voice: Voice = "self") -> str:
        return _worded(self.titles, self.other_titles, lang, voice) or ""

    def hint(self, lang: Lang, voice: Voice = "self") -> str | None:
        return _worded(self.hints, self.other_hints, lang, voice)

    def field(self, name: str) -> Field | None:
        return self._fields_by_name.get(name)

    # Computed once per page, not on every look-up: validation asks these for every field
    # of every page of an application (cached_property writes past the frozen __setattr__).
    @cached_property
    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def input_names(self) -> frozenset[str]:
        return frozenset(name for f in self.fields for name in f.input_names)

    @cached_property
    def answer_names(self) -> tuple[str, ...]:
        """The keys this page saves in the answers."""
        return tuple(name for f in self.fields for name in f.answer_names)

    def on(self, today: date) -> Step:
        """This page as shown on ``today`` (see :meth:`Field.on`)."""
        return replace(self, fields=tuple(field.on(today) for field in self.fields))

    def is_visible(self, answers: Mapping[str, Any], today: date) -> bool:
        """This page's own condition only; ``QuestionSet.applies`` also requires the
        pages it depends on to apply."""
        return self.show_if is None or self.show_if.holds(answers, today)

    def is_complete(self, answers: Mapping[str, Any]) -> bool:
        """Every required field has an answer. Presence only: ``validate_application``
        re-checks the values themselves before submission."""
        return all(f.is_answered(answers) for f in self.fields if f.required)


@dataclass(frozen=True)
class QuestionSet:
    version: str
    sections: tuple[Section, ...]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @cached_property
    def answer_names(self) -> frozenset[str]:
        """Every key an application's answers may hold."""
        return frozenset(name for step in self.steps for name in step.answer_names)

    def step_by_slug(self, slug: str, lang: Lang) -> Step | None:
        return next((s for s in self.steps if s.slug(lang) == slug), None)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def field(self, name: str) -> Field | None:
        return next((f for s in self.steps for f in s.fields if f.name == name), None)

    def step_of_field(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.field(name) is not None), None)

    def visible_steps(self, answers: Mapping[str, Any], today: date) -> list[Step]:
        """The pages that apply, in order. Conditions only see answers from pages that
        apply themselves: an answer left on a page that no longer applies (a paid
        representative's choice, after switching to "myself") cannot open another page."""
        visible: list[Step] = []
        seen: dict[str, Any] = {}
        for step in self.steps:
            if step.is_visible(seen, today):
                visible.append(step)
                seen.update((n, answers[n]) for n in step.answer_names if n in answers)
        return visible

    def applies(self, step_id: str, answers: Mapping[str, Any], today: date) -> bool:
        """Whether the page is part of the application for these answers (check before
        showing a page reached by URL)."""
        return any(s.id == step_id for s in self.visible_steps(answers, today))

    def visible_answers(self, answers: Mapping[str, Any], today: date) -> dict[str, Any]:
        """Only the answers of pages that still apply: changing "someone else" back to
        "myself" leaves the representative's details behind, not in the application."""
        names = {name for step in self.visible_steps(answers, today) for name in step.answer_names}
        return {name: value for name, value in answers.items() if name in names}

    def _neighbours(
        self, current_id: str, answers: Mapping[str, Any], today: date
    ) -> tuple[list[Step], list[Step]]:
        """Pages that apply before and after ``current_id`` (which itself may not apply,
        e.g. after the answer just given closed it). KeyError for an unknown id."""
        if self.step(current_id) is None:
            raise KeyError(current_id)
        visible = {s.id for s in self.visible_steps(answers, today)}
        ids = [s.id for s in self.steps]
        at = ids.index(current_id)
        before = [s for s in self.steps[:at] if s.id in visible]
        after = [s for s in self.steps[at + 1 :] if s.id in visible]
        return before, after

    def next_step(self, current_id: str, answers: Mapping[str, Any], today: date) -> Step | None:
        """The next page that applies after ``current_id``, or None after the last one
        (time for "check your answers")."""
        after = self._neighbours(current_id, answers, today)[1]
        return after[0] if after else None

    def previous_step(
        self, current_id: str, answers: Mapping[str, Any], today: date
    ) -> Step | None:
        """The page that applies before ``current_id``, or None on the first page."""
        before = self._neighbours(current_id, answers, today)[0]
        return before[-1] if before else None

    def first_incomplete_step(self, answers: Mapping[str, Any], today: date) -> Step | None:
        """Where to resume: the first page that applies and lacks an answer; None when
        every page is answered."""
        return next(
            (s for s in self.visible_steps(answers, today) if not s.is_complete(answers)), None
        )

    def counted_steps(self, answers: Mapping[str, Any], today: date) -> list[Step]:
        """The pages that apply, and those that may still apply: their condition waits on
        an answer asked on a page ahead. An answer only settles such a page, so this list
        never grows as the applicant goes on; it is exact once every answer is in."""
        counted: list[Step] = []
        seen: dict[str, Any] = {}  # answers of the pages that apply, as in visible_steps
        closed: set[str] = set()  # answers of pages that cannot apply: never to be given
        every_answer = {name for step in self.steps for name in step.answer_names}
        for step in self.steps:
            applies: bool | None = True
            if step.show_if is not None:
                pending = frozenset(every_answer - seen.keys() - closed)
                applies = outcome(step.show_if, seen, today, pending)
            if applies is False:
                closed.update(step.answer_names)
                continue
            counted.append(step)
            if applies:
                seen.update((n, answers[n]) for n in step.answer_names if n in answers)
        return counted

    def progress(self, step_id: str, answers: Mapping[str, Any], today: date) -> tuple[int, int]:
        """(position from 1, number of pages). The number counts the pages that may still
        apply, so it never goes up as the applicant answers (it may come down when an
        answer closes pages). ValueError if ``step_id`` does not apply to these answers."""
        if not self.applies(step_id, answers, today):
            raise ValueError(f"step {step_id!r} does not apply to these answers")
        counted = [s.id for s in self.counted_steps(answers, today)]
        return counted.index(step_id) + 1, len(counted)
