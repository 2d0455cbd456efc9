"""Whom the e-mails greet: the traveller, or the person who applied for them."""

from __future__ import annotations

from northgate.jobs.send_email import addressees


def test_the_traveller_is_greeted_when_applying_for_themselves() -> None:
    answers = {"applying_for": "myself", "given_names": "Zoë", "surname": "Li"}
    assert addressees(answers) == ("Zoë Li", None)


def test_a_parent_is_greeted_and_the_child_named() -> None:
    answers = {
        "applying_for": "other",
        "given_names": "Léa",
        "surname": "Tremblay",
        "representative_given_names": None,
        "representative_surname": "Tremblay",
    }
    assert addressees(answers) == ("Tremblay", "Léa Tremblay")
