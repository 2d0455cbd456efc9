""" "Check your answers": the visible answers grouped by section, each with a change link."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from northgate.core.dates import long_date
from northgate.core.lang import Lang
from northgate.eta.countries import country
from northgate.eta.dates import parse_iso
from northgate.eta.question_model import voice_of
from northgate.eta.questions import QUESTION_SET, YES_NO, Field
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import step_url


@dataclass(frozen=True)
class ReviewRow:
    question: str
    answer: str
    details: str | None
    change_url: str
    change_id: str


@dataclass(frozen=True)
class ReviewSection:
    title: str
    rows: list[ReviewRow]


def display_value(field: Field, answers: Mapping[str, Any], lang: Lang) -> str:
    value = answers.get(field.name)
    if value is None or value == "":
        return gettext(lang, "Not given")
    if field.type in ("radio", "select", "yes_no_details"):
        options = field.options if field.type != "yes_no_details" else YES_NO
        for option in options:
            if option.value == value:
                return option.label(lang)
    if field.type == "country":
        found = country(str(value))
        return found.name(lang) if found else str(value)
    if field.type == "date":
        parsed = parse_iso(value)
        return long_date(parsed, lang) if parsed else str(value)
    if field.type == "checkbox":
        return YES_NO[0].label(lang) if value else YES_NO[1].label(lang)
    return str(value)


def review_sections(answers: Mapping[str, Any], lang: Lang, today: date) -> list[ReviewSection]:
    sections: list[ReviewSection] = []
    by_id: dict[str, ReviewSection] = {}
    voice = voice_of(answers)
    for step in QUESTION_SET.visible_steps(answers, today):
        section_id = step.section or step.id
        if section_id not in by_id:
            found = QUESTION_SET.section(section_id) if step.section else None
            title = found.title(lang) if found else step.title(lang, voice)
            by_id[section_id] = ReviewSection(title, [])
            sections.append(by_id[section_id])
        for field in step.fields:
            details = None
            if field.type == "yes_no_details" and answers.get(field.name) == "yes":
                details = str(answers.get(field.details_name) or "")
            by_id[section_id].rows.append(
                ReviewRow(
                    question=field.label(lang, voice),
                    answer=display_value(field, answers, lang),
                    details=details,
                    change_url=step_url(step, lang) + "?return=review",
                    change_id=f"change-{field.name}",
                )
            )
    return sections
