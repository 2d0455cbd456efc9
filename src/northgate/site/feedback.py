""" "Report a problem on this page": the pure rules for a reader's report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from northgate.core.lang import Lang
from northgate.core.routes import paths
from northgate.ui.pages import PAGES_BY_KEY

FEEDBACK_PATHS: Mapping[Lang, str] = paths("site.feedback")
PROBLEMS = ("wrong", "unclear", "missing", "link", "other")
MAX_DETAILS = 1000


def form_context(lang: Lang) -> dict[str, Any]:
    """What the form needs to render, on every information page and on its own page."""
    return {
        "feedback_action": FEEDBACK_PATHS[lang],
        "problems": PROBLEMS,
        "max_details": MAX_DETAILS,
    }


@dataclass(frozen=True)
class FeedbackReport:
    page_key: str
    problem: str
    details: str


@dataclass(frozen=True)
class FeedbackErrors:
    """Field name → message id (translated by the web layer)."""

    fields: Mapping[str, str]


def validate_feedback(form: Mapping[str, str]) -> FeedbackReport | FeedbackErrors:
    errors: dict[str, str] = {}
    page_key = form.get("page", "")
    if page_key not in PAGES_BY_KEY:
        errors["page"] = "unknown-page"
    problem = form.get("problem", "")
    if problem not in PROBLEMS:
        errors["problem"] = "choose-problem"
    # Normalise line endings so the limit counts what the reader sees.
    details = form.get("details", "").replace("\r\n", "\n").strip()
    if len(details) > MAX_DETAILS:
        errors["details"] = "details-too-long"
    elif problem == "other" and not details:
        errors["details"] = "details-required"
    if errors:
        return FeedbackErrors(errors)
    return FeedbackReport(page_key, problem, details)
