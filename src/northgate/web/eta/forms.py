"""Which posted names are the step's own: the journey's control fields are removed first."""

from __future__ import annotations

from collections.abc import Mapping

# Hidden fields every journey form carries; they are checked, then removed before the
# domain validates the step (which refuses any name it does not know).
CONTROL_FIELDS = ("csrf_token", "action")


def posted_fields(form: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in form.items() if name not in CONTROL_FIELDS}
