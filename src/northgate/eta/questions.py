"""The application's questions: one page per question (or tight group), as data.

``data/questions.v1.toml`` holds the pages in order, their text in English and French,
their fields and when they apply (``show_if``). ``question_file`` reads and checks it;
``question_model`` holds the resulting objects and the navigation (which pages apply given
the answers so far, what comes next, how far along the applicant is). This module is the
public face: the loaded ``QUESTION_SET`` and the types.

``answers`` everywhere is the flat mapping of field name to cleaned value that the
applicant has given so far (the union of ``validation.validate_step(...).values``).
Field names are unique across the whole set, which the loader checks.
"""

from __future__ import annotations

from northgate.eta.question_file import load_question_set, parse_question_set
from northgate.eta.question_model import (
    DATE_PARTS,
    DETAILS_MAX_LENGTH,
    YES_NO,
    Field,
    FieldType,
    Option,
    QuestionSet,
    Section,
    Step,
    TextFormat,
)

__all__ = [
    "DATE_PARTS",
    "DETAILS_MAX_LENGTH",
    "QUESTIONS_FILE",
    "QUESTION_SET",
    "YES_NO",
    "Field",
    "FieldType",
    "Option",
    "QuestionSet",
    "Section",
    "Step",
    "TextFormat",
    "load_question_set",
    "parse_question_set",
]

QUESTIONS_FILE = "questions.v1.toml"
QUESTION_SET: QuestionSet = load_question_set(QUESTIONS_FILE)
