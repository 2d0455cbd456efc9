"""A complete, valid eTA application as the JSON API takes it (``{"answers": ...}``).

Dates are relative to the day the module is imported, so the passport stays valid and the
traveller stays an adult whatever day the suite or a benchmark runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from northgate.core.clock import utc_now

_TODAY = utc_now().date()

COMPLETE_ANSWERS: dict[str, Any] = {
    "applying_for": "myself",
    "document_type": "ordinary",
    "passport_number": "FR-12 34567",
    "passport_country": "FR",
    "passport_issue_date": (_TODAY - timedelta(days=300)).isoformat(),
    "passport_expiry_date": _TODAY.replace(year=_TODAY.year + 9).isoformat(),
    "surname": "Lefèvre",
    "given_names": "Éloïse",
    "date_of_birth": _TODAY.replace(year=_TODAY.year - 40).isoformat(),
    "sex": "F",
    "birth_country": "FR",
    "birth_city": "Lyon",
    "has_other_citizenship": "no",
    "marital_status": "never_married",
    "occupation": "retired",
    "correspondence_language": "fr",
    "email": "eloise@example.fr",
    "address_street": "3 rue de la Paix",
    "address_city": "Lyon",
    "address_country": "FR",
    "travel_date_known": "no",
    "previous_refusal": "no",
    "criminal_offence": "no",
    "tuberculosis": "no",
    "medical_condition": "no",
    "consent": True,
    "signature": "Eloise Lefevre",
}
