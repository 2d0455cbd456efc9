"""``show_if`` conditions: when a question page applies, written as data.

A condition is a small tree parsed from TOML, never an expression to evaluate, so the
question file cannot run code. Forms:

- ``{ field = "applying_for", equals = "other" }`` (also ``not_equals``, ``in``, ``not_in``)
- ``{ computed = "minor" }``: a named fact derived from the answers (see ``COMPUTED``)
- ``{ all = [...] }``, ``{ any = [...] }``, ``{ not = {...} }``

A field that has not been answered satisfies none of the field tests, not even
``not_in``: a page that depends on an answer stays hidden until that answer exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from northgate.eta.dates import is_minor
from northgate.eta.entry_rules import category


def _conditional_eta_country(answers: Mapping[str, Any], today: date) -> bool:
    # Citizens of these countries may get an eTA only with a Canadian or US visa history.
    country = answers.get("passport_country")
    return isinstance(country, str) and category(country) == "visa_required_eta_eligible"


COMPUTED: Mapping[str, Callable[[Mapping[str, Any], date], bool]] = {
    "minor": is_minor,
    "conditional_eta_country": _conditional_eta_country,
}


# The answers each computed condition reads, so the loader can check page order.
COMPUTED_READS: Mapping[str, frozenset[str]] = {
    "minor": frozenset({"date_of_birth"}),
    "conditional_eta_country": frozenset({"passport_country"}),
}


class Condition:
    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class FieldIn(Condition):
    field: str
    values: frozenset[str]
    negated: bool = False

    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        value = answers.get(self.field)
        if value is None or value == "":
            return False
        return (str(value) in self.values) != self.negated


@dataclass(frozen=True)
class Computed(Condition):
    name: str

    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        return COMPUTED[self.name](answers, today)


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        return all(part.holds(answers, today) for part in self.parts)


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]

    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        return any(part.holds(answers, today) for part in self.parts)


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def holds(self, answers: Mapping[str, Any], today: date) -> bool:
        return not self.part.holds(answers, today)


_FIELD_TESTS = {"equals", "not_equals", "in", "not_in"}


def parse_condition(raw: Any, where: str = "show_if") -> Condition:
    """Build a condition from its TOML form; ValueError naming ``where`` if malformed."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where}: a condition must be a non-empty table")
    keys = set(raw)
    if keys == {"computed"}:
        if raw["computed"] not in COMPUTED:
            raise ValueError(f"{where}: unknown computed condition {raw['computed']!r}")
        return Computed(raw["computed"])
    if keys in ({"all"}, {"any"}):
        (kind,) = keys
        parts = raw[kind]
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"{where}: '{kind}' needs a non-empty list of conditions")
        parsed = tuple(parse_condition(p, f"{where}.{kind}[{i}]") for i, p in enumerate(parts))
        return All(parsed) if kind == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(parse_condition(raw["not"], f"{where}.not"))
    tests = keys & _FIELD_TESTS
    if "field" in keys and len(tests) == 1 and keys == {"field"} | tests:
        (test,) = tests
        field, expected = raw["field"], raw[test]
        values = expected if test in ("in", "not_in") else [expected]
        if not isinstance(field, str) or not isinstance(values, list) or not values:
            raise ValueError(f"{where}: '{test}' needs a field name and value(s)")
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{where}: values compared with {field!r} must be strings")
        return FieldIn(field, frozenset(values), negated=test.startswith("not"))
    raise ValueError(f"{where}: unrecognised condition {sorted(keys)}")


def fields_read(condition: Condition) -> set[str]:
    """The answer names a condition looks at, so the loader can check they exist."""
    if isinstance(condition, FieldIn):
        return {condition.field}
    if isinstance(condition, All | AnyOf):
        return set().union(*(fields_read(p) for p in condition.parts))
    if isinstance(condition, Not):
        return fields_read(condition.part)
    if isinstance(condition, Computed):
        return set(COMPUTED_READS[condition.name])
    return set()


def outcome(
    condition: Condition, answers: Mapping[str, Any], today: date, pending: frozenset[str]
) -> bool | None:
    """Whether the condition holds, or None while it waits on an answer still to be given.

    ``pending`` names the answers that may yet be given (asked on pages still ahead); an
    answer neither given nor pending never will be, so it counts as absent, as in
    :meth:`Condition.holds`. Three-valued (Kleene) logic: ``all`` is false as soon as one
    part is false, ``any`` true as soon as one part is true."""
    if isinstance(condition, FieldIn | Computed):
        waiting = {name for name in fields_read(condition) if name not in answers}
        if waiting & pending:
            return None
        return condition.holds(answers, today)
    if isinstance(condition, Not):
        inner = outcome(condition.part, answers, today, pending)
        return None if inner is None else not inner
    if isinstance(condition, All | AnyOf):
        parts = [outcome(part, answers, today, pending) for part in condition.parts]
        decisive = isinstance(condition, AnyOf)  # the value that settles it
        if decisive in parts:
            return decisive
        return None if None in parts else not decisive
    return condition.holds(answers, today)
