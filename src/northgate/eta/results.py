"""What validation returns: cleaned values, errors and warnings, each error tied to the
input it is about so the page can link to it from the error summary."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _default
from typing import Any

from northgate.core.lang import Lang
from northgate.eta.messages import worded_message
from northgate.eta.question_model import Voice


@dataclass(frozen=True)
class FieldError:
    """One problem with one input.

    ``field`` is the HTML name and id of the input to focus (``date_of_birth-day``);
    ``code`` a stable message code (see ``messages.toml``); ``step`` the page it belongs to
    (set by ``validate_application``, which checks several pages at once); ``voice``
    whether the message speaks of "your" answers or of the applicant's.
    """

    field: str
    code: str
    params: dict[str, str] = _default(default_factory=dict)
    step: str | None = None
    voice: Voice = "self"

    def message(self, lang: Lang) -> str:
        return worded_message(self.code, lang, self.voice, self.params)


@dataclass
class StepResult:
    """``values`` holds the cleaned, JSON-serialisable answers of the fields that passed
    (an optional field left empty is ``None``, so saving it clears an older answer).
    Save them only when ``ok``: a page is accepted or redisplayed as a whole."""

    values: dict[str, Any] = _default(default_factory=dict)
    errors: list[FieldError] = _default(default_factory=list)
    warnings: list[FieldError] = _default(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, input_name: str, code: str, **params: str) -> None:
        self.errors.append(FieldError(input_name, code, params))
