from __future__ import annotations

from datetime import date

import pytest

from northgate.eta.questions import QUESTION_SET
from northgate.eta.validation import form_for, validate_step
from tests.eta.factories import TODAY, adult_answers, codes, run, step

# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Zoë", "Zoë"),
        ("O'Brien", "O'Brien"),
        ("O’Brien", "O’Brien"),
        ("Jean-Luc", "Jean-Luc"),
        ("García Márquez", "García Márquez"),
        ("Nguyễn", "Nguyễn"),
        ("Владимир", "Владимир"),
        ("李", "李"),
        ("  Anne \t  Marie ", "Anne Marie"),
        ("Zoe\u0308", "Zoë"),  # decomposed accent, composed on the way in
    ],
)
def test_names_as_printed_in_passports(typed: str, kept: str) -> None:
    result = run("name", {"surname": typed, "given_names": typed})
    assert result.errors == []
    assert result.values == {"surname": kept, "given_names": kept}


@pytest.mark.parametrize("typed", ["J0hn", "Smith!", "Anne_Marie", "Dr. Smith", "a@b", "Ω≈"])
def test_names_with_digits_or_symbols_are_refused_with_a_transliteration_hint(typed: str) -> None:
    result = run("name", {"surname": typed})
    assert codes(result) == [("surname", "name-invalid-characters")]
    assert "machine-readable zone" in result.errors[0].message("en")
    assert "zone de lecture automatique" in result.errors[0].message("fr")
    assert result.errors[0].message("en").startswith("Surname must only include letters")


def test_name_rules() -> None:
    assert codes(run("name", {"surname": "-'"})) == [("surname", "name-needs-letter")]
    assert codes(run("name", {"surname": "A" * 101})) == [("surname", "too-long")]
    assert run("name", {"surname": "A" * 100}).ok
    assert codes(run("name", {"surname": "Ann\x00"})) == [("surname", "invalid-characters")]
    assert codes(run("name", {"given_names": "Anne"})) == [("surname", "missing:surname")]
    # Optional and empty: saved as None so an older answer is cleared.
    assert run("name", {"surname": "Li", "given_names": " "}).values == {
        "surname": "Li",
        "given_names": None,
    }


# --- Passport number -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "confirm", "value", "warned"),
    [
        (" ab 12-34 567 ", "AB1234567", "AB1234567", False),
        ("x1234567", "X123 4567", "X1234567", False),
        ("AB123", "ab123", "AB123", True),
        ("1234567890", "1234567890", "1234567890", True),
        ("1234", "1234", "1234", True),
        ("A" * 20, "a" * 20, "A" * 20, True),
    ],
)
def test_passport_number_normalized(typed: str, confirm: str, value: str, warned: bool) -> None:
    result = run("passport-number", {"passport_number": typed, "passport_number_confirm": confirm})
    assert result.errors == []
    assert result.values == {"passport_number": value}
    assert [w.code for w in result.warnings] == (
        ["passport-number-unusual-length"] if warned else []
    )
    if warned:
        assert str(len(value)) in result.warnings[0].message("en")


@pytest.mark.parametrize(
    ("typed", "confirm", "expected"),
    [
        ("ABC", "ABC", ("passport_number", "passport-number-invalid")),
        ("A" * 21, "A" * 21, ("passport_number", "passport-number-invalid")),
        ("AB12345É", "AB12345É", ("passport_number", "passport-number-invalid")),
        ("AB/123456", "AB/123456", ("passport_number", "passport-number-invalid")),
        ("AB1234567", "AB1234568", ("passport_number_confirm", "passport-number-mismatch")),
        ("AB1234567", "", ("passport_number_confirm", "passport-number-confirm-missing")),
        ("", "", ("passport_number", "missing:passport_number")),
    ],
)
def test_passport_number_refused(typed: str, confirm: str, expected: tuple[str, str]) -> None:
    result = run("passport-number", {"passport_number": typed, "passport_number_confirm": confirm})
    assert codes(result) == [expected]
    assert result.values == {}


def test_passport_number_message() -> None:
    result = run("passport-number", {"passport_number": "AB", "passport_number_confirm": "AB"})
    assert result.errors[0].message("en") == "Passport number must be 4 to 20 letters and numbers"


# --- Dates ---------------------------------------------------------------------------------


def dob(day: str, month: str, year: str) -> dict[str, str]:
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (dob("31", "2", "1990"), ("date_of_birth-day", "date-not-real")),
        (dob("29", "2", "1990"), ("date_of_birth-day", "date-not-real")),
        (dob("0", "1", "1990"), ("date_of_birth-day", "date-not-real")),
        (dob("1", "13", "1990"), ("date_of_birth-month", "date-not-real")),
        (dob("1", "jan", "1990"), ("date_of_birth-month", "date-not-real")),
        (dob("1", "1", "90"), ("date_of_birth-year", "date-year-four-digits")),
        (dob("1", "1", "19900"), ("date_of_birth-year", "date-year-four-digits")),
        (dob("1", "1", ""), ("date_of_birth-year", "date-missing-year")),
        (dob("", "", "1990"), ("date_of_birth-day", "date-missing-day-month")),
        (dob("", "1", ""), ("date_of_birth-day", "date-missing-day-year")),
        (dob("5", "", ""), ("date_of_birth-month", "date-missing-month-year")),
        (dob("", "", ""), ("date_of_birth-day", "missing:date_of_birth")),
        (dob("9", "11", "2016"), ("date_of_birth-day", "date-must-not-be-future")),
        (dob("8", "11", "1896"), ("date_of_birth-year", "date-too-long-ago")),
    ],
)
def test_date_of_birth_refused(form: dict[str, str], expected: tuple[str, str]) -> None:
    assert codes(run("date-of-birth", form)) == [expected]


@pytest.mark.parametrize(
    ("form", "value"),
    [
        (dob("29", "2", "1992"), "1992-02-29"),
        (dob("07", "03", "1985"), "1985-03-07"),
        (dob(" 7 ", "3", "1985"), "1985-03-07"),
        (dob("9", "11", "1896"), "1896-11-09"),  # 119 years and 364 days old
        (dob("8", "11", "2016"), "2016-11-08"),  # born today: not in the future
    ],
)
def test_date_of_birth_accepted(form: dict[str, str], value: str) -> None:
    result = run("date-of-birth", form)
    assert result.errors == []
    assert result.values == {"date_of_birth": value}


def test_date_messages_name_the_date() -> None:
    result = run("date-of-birth", dob("1", "1", ""))
    assert result.errors[0].message("en") == "Date of birth must include a year"
    assert result.errors[0].message("fr") == "La date de naissance doit comprendre l’année"


def passport_dates(issued: str, expires: str) -> dict[str, str]:
    form: dict[str, str] = {}
    for name, value in (("passport_issue_date", issued), ("passport_expiry_date", expires)):
        day, month, year = value.split("/")
        form |= {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}
    return form


@pytest.mark.parametrize(
    ("issued", "expires", "answers", "expected"),
    [
        ("8/11/2016", "9/11/2016", {}, []),  # born < issued <= today < expiry, tightly
        ("9/11/2016", "9/11/2026", {}, [("passport_issue_date-day", "date-must-not-be-future")]),
        ("1/1/2010", "8/11/2016", {}, [("passport_expiry_date-day", "date-must-be-future")]),
        ("1/1/2010", "1/1/2015", {}, [("passport_expiry_date-day", "date-must-be-future")]),
        (
            "1/1/2010",
            "1/1/2020",
            {"date_of_birth": "2010-01-01"},
            [("passport_issue_date-day", "date-must-be-after")],
        ),
        ("2/1/2010", "1/1/2020", {"date_of_birth": "2010-01-01"}, []),
    ],
)
def test_passport_date_order(
    issued: str, expires: str, answers: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert codes(run("passport-dates", passport_dates(issued, expires), answers)) == expected


def test_date_of_birth_must_be_before_the_issue_date() -> None:
    issued = {"passport_issue_date": "2010-01-01"}
    result = run("date-of-birth", dob("1", "1", "2010"), issued)
    assert codes(result) == [("date_of_birth-day", "date-must-be-before")]
    assert result.errors[0].message("en") == (
        "Date of birth must be before the passport issue date"
    )
    assert run("date-of-birth", dob("31", "12", "2009"), issued).ok


def test_travel_date_today_or_later() -> None:
    def travel(day: str) -> dict[str, str]:
        return {"travel_date-day": day, "travel_date-month": "11", "travel_date-year": "2016"}

    assert run("travel-date", travel("8")).values == {"travel_date": "2016-11-08"}
    assert codes(run("travel-date", travel("7"))) == [("travel_date-day", "date-must-not-be-past")]


# --- E-mail, year, country, choices -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "confirm", "expected", "value"),
    [
        ("Zoe@Example.COM", "zoe@example.com", [], "Zoe@example.com"),
        (" zoe@example.com ", "ZOE@EXAMPLE.COM", [], "zoe@example.com"),
        ("zoe@", "zoe@", [("email", "email-invalid")], None),
        ("zoe@example", "zoe@example", [("email", "email-invalid")], None),
        ("zoe@example.com", "zoe@example.org", [("email_confirm", "email-mismatch")], None),
        ("zoe@example.com", "", [("email_confirm", "email-confirm-missing")], None),
        ("", "", [("email", "missing:email")], None),
    ],
)
def test_email(
    typed: str, confirm: str, expected: list[tuple[str, str]], value: str | None
) -> None:
    result = run("email", {"email": typed, "email_confirm": confirm})
    assert codes(result) == expected
    assert result.values.get("email") == value


def job(**changes: str) -> dict[str, str]:
    form = {
        "job_title": "Nurse",
        "employer": "NHS",
        "work_country": "gb",
        "work_since_year": "2005",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"work_since_year": "1900"}, []),
        ({"work_since_year": "2016"}, []),
        ({"work_since_year": "2017"}, [("work_since_year", "year-out-of-range")]),
        ({"work_since_year": "1899"}, [("work_since_year", "year-out-of-range")]),
        ({"work_since_year": "05"}, [("work_since_year", "year-invalid")]),
        ({"work_since_year": "２００５"}, [("work_since_year", "year-invalid")]),
        ({"work_country": "XX"}, [("work_country", "country-unknown")]),
        ({"work_country": ""}, [("work_country", "missing:work_country")]),
        ({"employer": "x" * 101}, [("employer", "too-long")]),
    ],
)
def test_job_page(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert codes(run("job", job(**changes))) == expected


def test_cleaned_types() -> None:
    assert run("job", job()).values == {
        "job_title": "Nurse",
        "employer": "NHS",
        "work_country": "GB",
        "work_since_year": 2005,
    }


def test_year_range_message() -> None:
    result = run("job", job(work_since_year="2017"))
    assert result.errors[0].message("en") == "Year you started must be between 1900 and 2016"


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"sex": "X"}, []),
        ({"sex": "x"}, [("sex", "option-invalid")]),
        ({"sex": "Q"}, [("sex", "option-invalid")]),
        ({}, [("sex", "missing:sex")]),
    ],
)
def test_radio_values_must_be_options(
    form: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert codes(run("sex", form)) == expected


# --- Yes / no with details -----------------------------------------------------------------


def test_yes_needs_details() -> None:
    result = run("criminal-offence", {"criminal_offence": "yes", "criminal_offence_details": " "})
    assert codes(result) == [("criminal_offence_details", "details-missing")]
    assert result.values == {}
    result = run(
        "criminal-offence", {"criminal_offence": "yes", "criminal_offence_details": "x" * 1001}
    )
    assert codes(result) == [("criminal_offence_details", "details-too-long")]
    details = "Speeding fine,\r\nFrance, 2010"
    result = run(
        "criminal-offence", {"criminal_offence": "yes", "criminal_offence_details": details}
    )
    assert result.values == {
        "criminal_offence": "yes",
        "criminal_offence_details": "Speeding fine,\nFrance, 2010",
    }


def test_no_ignores_and_clears_details() -> None:
    result = run("criminal-offence", {"criminal_offence": "no", "criminal_offence_details": "old"})
    assert result.ok
    assert result.values == {"criminal_offence": "no", "criminal_offence_details": None}


# --- Unknown fields ------------------------------------------------------------------------


def test_unknown_fields_are_refused() -> None:
    result = run("sex", {"sex": "F", "csrf_token": "abc", "sex_confirm": "F"})
    assert codes(result) == [("csrf_token", "unknown-field"), ("sex_confirm", "unknown-field")]
    assert "csrf_token" in result.errors[0].message("en")


def test_a_pages_own_parts_are_allowed() -> None:
    form = {
        "passport_number": "AB1234567",
        "passport_number_confirm": "AB1234567",
    }
    assert run("passport-number", form).ok
    assert run("date-of-birth", dob("1", "1", "1990")).ok
    assert codes(run("date-of-birth", {**dob("1", "1", "1990"), "date_of_birth": "x"})) == [
        ("date_of_birth", "unknown-field")
    ]


# --- Declaration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        "Zoë Anne O’Brien-Dupré",
        "zoe anne o'brien-dupre",
        "ZOË ANNE O’BRIEN DUPRÉ",
        "  Zoe   Anne  O'Brien-Dupre ",
        "O’Brien-Dupré Zoë Anne",
    ],
)
def test_signature_matches_the_applicant(signature: str) -> None:
    result = run("declaration", {"consent": "yes", "signature": signature}, adult_answers())
    assert result.errors == []
    assert result.values == {"consent": True, "signature": " ".join(signature.split())}


@pytest.mark.parametrize("signature", ["Zoë O’Brien-Dupré", "Zoë Anne Smith", "Anne Zoë O'Brien"])
def test_signature_mismatch(signature: str) -> None:
    result = run("declaration", {"consent": "yes", "signature": signature}, adult_answers())
    assert codes(result) == [("signature", "signature-mismatch")]
    assert "Zoë Anne O’Brien-Dupré" in result.errors[0].message("en")


def test_representative_signs_with_their_own_name() -> None:
    answers = adult_answers(
        applying_for="other",
        representative_surname="Tremblay",
        representative_given_names="Éric",
    )
    assert run("declaration", {"consent": "yes", "signature": "eric tremblay"}, answers).ok
    refused = run("declaration", {"consent": "yes", "signature": "Zoë Anne O’Brien-Dupré"}, answers)
    assert codes(refused) == [("signature", "signature-mismatch")]


def test_signature_with_surname_only() -> None:
    answers = adult_answers(given_names=None, surname="Suharto")
    assert run("declaration", {"consent": "yes", "signature": "SUHARTO"}, answers).ok


@pytest.mark.parametrize(
    ("consent", "expected"),
    [
        ("yes", []),
        ("on", []),
        ("", [("consent", "missing:consent")]),
        ("maybe", [("consent", "option-invalid")]),
    ],
)
def test_consent_must_be_checked(consent: str, expected: list[tuple[str, str]]) -> None:
    form = {"signature": "Zoë Anne O’Brien-Dupré"}
    if consent:
        form["consent"] = consent
    assert codes(run("declaration", form, adult_answers())) == expected


# --- Prefill and replay --------------------------------------------------------------------


def test_form_for_round_trips_every_page() -> None:
    answers = adult_answers(
        has_other_citizenship="yes",
        other_citizenship_country="FR",
        travel_date_known="yes",
        travel_date="2016-12-24",
        criminal_offence="yes",
        criminal_offence_details="Speeding, 2010",
    )
    for page in QUESTION_SET.visible_steps(answers, TODAY):
        result = validate_step(page, form_for(page, answers), answers, TODAY)
        assert result.errors == [], page.id
        for name, value in result.values.items():
            assert answers.get(name) == value, (page.id, name)


def test_form_for_splits_dates_and_repeats_confirmations() -> None:
    answers = adult_answers()
    assert form_for(step("date-of-birth"), answers) == {
        "date_of_birth-day": "29",
        "date_of_birth-month": "2",
        "date_of_birth-year": "1980",
    }
    assert form_for(step("email"), answers) == {
        "email": "zoe@example.com",
        "email_confirm": "zoe@example.com",
    }
    assert form_for(step("declaration"), answers)["consent"] == "yes"
    assert form_for(step("name"), {}) == {}


def test_today_is_a_parameter() -> None:
    later = date(2030, 1, 1)
    assert run("date-of-birth", dob("1", "1", "2020"), today=later).ok
    assert not run("date-of-birth", dob("1", "1", "2020")).ok
