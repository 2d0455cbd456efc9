"""Arbitrary input never makes the domain raise: every problem is a FieldError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northgate.eta.decision import decide
from northgate.eta.questions import QUESTION_SET, Step
from northgate.eta.validation import validate_application, validate_step
from tests.eta.factories import TODAY, adult_answers

steps = st.sampled_from(QUESTION_SET.steps)
values = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789 -/", max_size=6),
    st.sampled_from(["yes", "no", "on", "GB", "MX", "other", "X", "29", "2", "2016", "a@b.co"]),
)
all_names = sorted(
    {name for s in QUESTION_SET.steps for f in s.fields for name in (*f.input_names, f.name)}
)


@st.composite
def step_and_form(draw: st.DrawFn) -> tuple[Step, dict[str, str]]:
    step = draw(steps)
    own = st.sampled_from(sorted(step.input_names))
    keys = st.one_of(own, own, st.text(max_size=12))
    return step, draw(st.dictionaries(keys, values, max_size=8))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step_and_form(), st.sampled_from([{}, adult_answers(), adult_answers(applying_for="other")]))
def test_validate_step_never_raises(
    case: tuple[Step, dict[str, str]], answers: dict[str, Any]
) -> None:
    step, form = case
    result = validate_step(step, form, answers, TODAY)
    json.dumps(result.values)
    assert set(result.values) <= set(step.answer_names)
    for problem in (*result.errors, *result.warnings):
        assert problem.field in step.input_names or problem.field in form
        assert problem.message("en") and problem.message("fr")


answer_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    values,
    st.sampled_from(["2001-01-01", "2030-12-31", "1800-01-01"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(all_names), answer_values, max_size=20))
def test_whole_application_checks_and_decision_never_raise(changes: dict[str, Any]) -> None:
    answers = adult_answers(**changes)
    for problem in validate_application(answers, TODAY):
        assert problem.step is not None
        assert problem.message("en") and problem.message("fr")
    decision = decide(answers, TODAY)
    assert (decision.valid_until is None) == (decision.outcome == "referred")
