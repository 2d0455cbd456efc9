"""The limits operators may change at run time, validated in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from northgate.settings import Settings

Mode = Literal["fixed", "adaptive"]


class InvalidLimits(ValueError):
    pass


@dataclass(frozen=True)
class GateLimits:
    enabled: bool
    mode: Mode
    max_active: int
    admissions_per_minute: int
    limit_floor: int
    limit_ceiling: int
    abandon_after: float
    poll_seconds: float
    opens_at: float  # Unix seconds; 0 when the line is open

    @classmethod
    def from_settings(cls, settings: Settings) -> GateLimits:
        return cls(
            enabled=settings.gate_enabled,
            mode=settings.gate_mode,
            max_active=settings.gate_max_active,
            admissions_per_minute=settings.gate_admissions_per_minute,
            limit_floor=settings.gate_limit_floor,
            limit_ceiling=settings.gate_limit_ceiling,
            abandon_after=float(settings.gate_abandon_after_seconds),
            poll_seconds=settings.gate_poll_seconds,
            opens_at=settings.gate_opens_at.timestamp() if settings.gate_opens_at else 0.0,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, values: Mapping[str, object]) -> GateLimits:
        """A copy with ``values`` applied (strings accepted, as stored in Redis)."""
        known = {field.name: field for field in fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise InvalidLimits(f"unknown limit {name!r}; known: {', '.join(known)}")
            changes[name] = _convert(name, raw)
        result = replace(self, **changes)
        result.check()
        return result

    def check(self) -> None:
        if self.mode not in ("fixed", "adaptive"):
            raise InvalidLimits("mode must be fixed or adaptive")
        for name in ("max_active", "admissions_per_minute", "limit_floor", "limit_ceiling"):
            if getattr(self, name) < 1:
                raise InvalidLimits(f"{name} must be at least 1")
        if self.limit_ceiling < self.limit_floor:
            raise InvalidLimits("limit_ceiling must not be below limit_floor")
        if self.abandon_after < 2 or not 0.5 <= self.poll_seconds <= 300:
            raise InvalidLimits("abandon_after >= 2 and 0.5 <= poll_seconds <= 300")
        if self.abandon_after < self.poll_seconds * 1.5:
            raise InvalidLimits("abandon_after must be at least 1.5 x poll_seconds")


def _convert(name: str, raw: object) -> Any:
    try:
        if name == "enabled":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return text in ("true", "1")
        if name == "mode":
            return str(raw)
        if name in ("abandon_after", "poll_seconds", "opens_at"):
            return float(str(raw))
        return int(str(raw))
    except ValueError as error:
        raise InvalidLimits(f"{name}: {raw!r} is not valid") from error


def stored(values: Mapping[str, object]) -> dict[str, str]:
    """Values as kept in shared state (strings)."""
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in values.items()
    }
