"""Reading a question file: TOML in, a checked ``QuestionSet`` out.

Strict on purpose: an unknown key, a condition on a field not asked before, a duplicate
name or slug stops the application from starting, instead of showing a broken page to a
traveller on deadline night.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any

from northgate.core.lang import LANGUAGES
from northgate.core.typography import french_prose
from northgate.eta.conditions import fields_read, parse_condition
from northgate.eta.question_model import (
    DEFAULT_MAX_LENGTH,
    EXAMPLE,
    FIELD_TYPES,
    TEXT_FORMATS,
    YES_NO,
    Field,
    Option,
    QuestionSet,
    Section,
    Step,
    Texts,
)

# Pages about the person typing, whoever the application is for: their autofill stays.
_ABOUT_THE_TYPIST = frozenset({"representative", "declaration"})


class _Table:
    """A TOML table read key by key; leftover keys are an error (a typo must not pass)."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a table")
        self.raw: dict[str, Any] = dict(raw)
        self.where = where

    def pop(self, key: str, kind: type, default: Any = None, *, required: bool = False) -> Any:
        if key not in self.raw:
            if required:
                raise ValueError(f"{self.where}: missing '{key}'")
            return default
        value = self.raw.pop(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{self.where}.{key}: expected {kind.__name__}")
        return value

    def texts(self, key: str, *, required: bool = False) -> Texts | None:
        raw = self.pop(key, dict, required=required)
        if raw is None:
            return None
        if set(raw) != set(LANGUAGES) or not all(isinstance(v, str) and v for v in raw.values()):
            raise ValueError(f"{self.where}.{key}: needs non-empty 'en' and 'fr' text")
        return {"en": raw["en"], "fr": french_prose(raw["fr"])}

    def required_texts(self, key: str) -> Texts:
        texts = self.texts(key, required=True)
        assert texts is not None
        return texts

    def done(self) -> None:
        if self.raw:
            raise ValueError(f"{self.where}: unknown keys {sorted(self.raw)}")


def _strings(table: _Table, key: str) -> tuple[str, ...]:
    values = table.pop(key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{table.where}.{key}: expected a list of field names")
    return tuple(values)


def _parse_option(raw: Any, where: str) -> Option:
    table = _Table(raw, where)
    option = Option(table.pop("value", str, required=True), table.required_texts("label"))
    table.done()
    return option


def _parse_section(raw: Any, where: str) -> Section:
    table = _Table(raw, where)
    section = Section(table.pop("id", str, required=True), table.required_texts("title"))
    table.done()
    return section


def _parse_field(raw: Any, where: str) -> Field:
    table = _Table(raw, where)
    name = table.pop("name", str, required=True)
    kind = table.pop("type", str, required=True)
    if kind not in FIELD_TYPES:
        raise ValueError(f"{where}: unknown field type {kind!r}")
    text_format = table.pop("format", str)
    if text_format is not None and (kind != "text" or text_format not in TEXT_FORMATS):
        raise ValueError(f"{where}: format {text_format!r} is not for a {kind} field")
    options = tuple(
        _parse_option(raw_option, f"{where}.options[{i}]")
        for i, raw_option in enumerate(table.pop("options", list, []))
    )
    if kind == "yes_no_details":
        options = options or YES_NO
    if kind in ("radio", "select", "yes_no_details") and not options:
        raise ValueError(f"{where}: a {kind} field needs options")
    if kind not in ("radio", "select", "yes_no_details") and options:
        raise ValueError(f"{where}: a {kind} field takes no options")
    field = Field(
        name=name,
        type=kind,
        labels=table.required_texts("label"),
        hints=table.texts("hint"),
        required=table.pop("required", bool, True),
        options=options,
        max_length=table.pop("max_length", int, DEFAULT_MAX_LENGTH.get(kind)),
        autocomplete=table.pop("autocomplete", str),
        spellcheck=table.pop("spellcheck", bool),
        format=text_format,
        confirm_labels=table.texts("confirm_label", required=kind in ("email", "passport_number")),
        details_labels=table.texts("details_label", required=kind == "yes_no_details"),
        not_future=table.pop("not_future", bool, False),
        future=table.pop("future", bool, False),
        not_past=table.pop("not_past", bool, False),
        before=_strings(table, "before"),
        after=_strings(table, "after"),
        max_age_years=table.pop("max_age_years", int),
        other_labels=table.texts("label_other"),
        other_hints=table.texts("hint_other"),
        other_confirm_labels=table.texts("confirm_label_other"),
        other_details_labels=table.texts("details_label_other"),
        other_autocomplete=table.pop("autocomplete_other", str),
        example_in_days=table.pop("example_in_days", int),
    )
    table.done()
    for base, other in (
        (field.hints, field.other_hints),
        (field.confirm_labels, field.other_confirm_labels),
        (field.details_labels, field.other_details_labels),
    ):
        if other is not None and base is None:
            raise ValueError(f"{where}: other wording for a text the field does not have")
    is_date = field.not_future or field.future or field.not_past or field.before or field.after
    if kind != "date" and (
        is_date or field.max_age_years is not None or field.example_in_days is not None
    ):
        raise ValueError(f"{where}: date rules on a {kind} field")
    marked = {lang for lang, text in (field.hints or {}).items() if EXAMPLE in text}
    wanted = set(LANGUAGES) if field.example_in_days is not None else set()
    if marked != wanted:
        raise ValueError(f"{where}: 'example_in_days' goes with '{EXAMPLE}' in every hint")
    return field


def _autofill_for_others(field: Field, section: str | None) -> Field:
    """Autofill offers the browser user's own name, birthday and address: wrong answers
    when the questions are about someone else, so it is off unless the page is about the
    typist or the field says otherwise."""
    if field.other_autocomplete is not None or field.autocomplete is None:
        return field
    other = field.autocomplete if section in _ABOUT_THE_TYPIST else "off"
    return replace(field, other_autocomplete=other)


def _parse_step(raw: Any, where: str) -> Step:
    table = _Table(raw, where)
    step_id = table.pop("id", str, required=True)
    where = f"{where} ({step_id})"
    show_if = table.pop("show_if", dict)
    fields = table.pop("fields", list, required=True)
    step = Step(
        id=step_id,
        slug_fr=table.pop("slug_fr", str, required=True),
        titles=table.required_texts("title"),
        hints=table.texts("hint"),
        section=table.pop("section", str),
        show_if=None if show_if is None else parse_condition(show_if, f"{where}.show_if"),
        fields=tuple(_parse_field(f, f"{where}.fields[{i}]") for i, f in enumerate(fields)),
        other_titles=table.texts("title_other"),
        other_hints=table.texts("hint_other"),
    )
    table.done()
    if step.other_hints is not None and step.hints is None:
        raise ValueError(f"{where}: other wording for a hint the page does not have")
    step = replace(step, fields=tuple(_autofill_for_others(f, step.section) for f in step.fields))
    if not step.fields:
        raise ValueError(f"{where}: a step needs at least one field")
    return step


def _check(question_set: QuestionSet) -> None:
    """Cross-references: unique slugs and names, known sections and fields."""
    for lang in LANGUAGES:
        slugs = [s.slug(lang) for s in question_set.steps]
        if len(slugs) != len(set(slugs)):
            raise ValueError(f"questions: duplicate {lang} slugs")
    # Answers are one flat mapping, so a name (or an input derived from it) used twice
    # would let one page overwrite another's answer.
    fields = [f for s in question_set.steps for f in s.fields]
    taken: set[str] = set()
    for f in fields:
        own = {f.name, *f.input_names}
        if own & taken:
            raise ValueError(f"questions: {f.name} reuses a field or input name")
        taken |= own
    earlier: set[str] = set()
    dates = {f.name for f in fields if f.type == "date"}
    section_ids = {s.id for s in question_set.sections}
    for step in question_set.steps:
        if step.section is not None and step.section not in section_ids:
            raise ValueError(f"questions: {step.id} has unknown section {step.section!r}")
        # A condition may only read answers from earlier pages: visibility is decided in
        # page order, and a page cannot depend on one the applicant has not reached.
        if step.show_if is not None and not fields_read(step.show_if) <= earlier:
            raise ValueError(f"questions: {step.id} show_if reads a field not asked before it")
        earlier |= {f.name for f in step.fields}
        for f in step.fields:
            if not set(f.before) | set(f.after) <= dates:
                raise ValueError(f"questions: {f.name} is compared with a non-date field")


def parse_question_set(document: Mapping[str, Any]) -> QuestionSet:
    table = _Table(document, "questions")
    sections = tuple(
        _parse_section(raw, f"sections[{i}]")
        for i, raw in enumerate(table.pop("sections", list, required=True))
    )
    question_set = QuestionSet(
        version=table.pop("version", str, required=True),
        sections=sections,
        steps=tuple(
            _parse_step(raw, f"steps[{i}]")
            for i, raw in enumerate(table.pop("steps", list, required=True))
        ),
    )
    table.done()
    _check(question_set)
    return question_set


def load_question_set(file_name: str) -> QuestionSet:
    """A question file packaged in ``northgate/eta/data``."""
    text = resources.files("northgate.eta").joinpath("data", file_name).read_text("utf-8")
    return parse_question_set(tomllib.loads(text))
