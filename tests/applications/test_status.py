"""The life of an application: every allowed move, and every other one refused."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from northgate.api.models import ApplicationStatus as ApiApplicationStatus
from northgate.applications.resending import OFFERED, RESENDABLE, offered_kind, resendable
from northgate.applications.status import (
    DECIDED,
    IN_PROGRESS,
    PAID_OR_LATER,
    TRANSITIONS,
    ApplicationStatus,
    IllegalTransition,
    can_move,
    move,
)

S = ApplicationStatus
ALLOWED = {
    (S.DRAFT, S.SUBMITTED),
    (S.SUBMITTED, S.PAID),
    (S.PAID, S.APPROVED),
    (S.PAID, S.REFERRED),
}
REFUSED = set(itertools.product(S, S)) - ALLOWED


def test_the_stored_values_are_the_ones_in_the_database_and_the_api() -> None:
    assert [status.value for status in S] == [
        "draft",
        "submitted",
        "paid",
        "approved",
        "referred",
    ]
    assert S("paid") is S.PAID
    # Rows hold text: a member is that text, in comparisons, sets and templates alike.
    assert "paid" in {S.PAID} and S.PAID in {"paid"}
    assert f"{S.PAID}" == "paid"
    assert set(get_args(ApiApplicationStatus.model_fields["status"].annotation)) == set(S)


def test_every_status_has_its_moves_written_down() -> None:
    assert set(TRANSITIONS) == set(S)
    assert {(old, new) for old, moves in TRANSITIONS.items() for new in moves} == ALLOWED


@pytest.mark.parametrize(("current", "new"), sorted(ALLOWED))
def test_an_allowed_move(current: ApplicationStatus, new: ApplicationStatus) -> None:
    assert can_move(current, new)
    assert move(current, new) is new
    # The stored text is enough: that is what a database row holds.
    assert move(current.value, new) is new


@pytest.mark.parametrize(("current", "new"), sorted(REFUSED))
def test_any_other_move_is_an_error(current: ApplicationStatus, new: ApplicationStatus) -> None:
    assert not can_move(current, new)
    with pytest.raises(IllegalTransition) as raised:
        move(current.value, new)
    assert (raised.value.current, raised.value.new) == (current, new)
    assert isinstance(raised.value, ValueError)


def test_an_unknown_stored_status_is_not_a_status() -> None:
    with pytest.raises(ValueError):
        move("cancelled", S.PAID)


def test_the_groups_the_journey_and_the_payments_ask_about() -> None:
    assert {S.APPROVED, S.REFERRED} == DECIDED
    assert {S.PAID, S.APPROVED, S.REFERRED} == PAID_OR_LATER
    assert {S.DRAFT, S.SUBMITTED} == IN_PROGRESS
    # Each status is either still in progress or paid: nothing falls between.
    assert set(S) == IN_PROGRESS | PAID_OR_LATER
    assert not IN_PROGRESS & PAID_OR_LATER


def test_what_each_status_can_ask_to_be_sent_again() -> None:
    assert offered_kind("draft") is None
    assert offered_kind("submitted") is None
    assert {status: offered_kind(status) for status in PAID_OR_LATER} == {
        S.PAID: "receipt",
        S.APPROVED: "approval",
        S.REFERRED: "referral",
    }
    # The message offered is always one that may be sent again, and the receipt always is.
    for status, kind in OFFERED.items():
        assert kind in RESENDABLE[status]
        assert "receipt" in RESENDABLE[status]
    assert not resendable("paid", "approval")
    assert not resendable("submitted", "receipt")
    assert not resendable("approved", None)
    assert resendable("referred", "receipt")
