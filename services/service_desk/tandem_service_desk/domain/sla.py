"""Service levels: when a case must get its first response and its resolution, whether
it is breached or at risk, and when it must be escalated.

Each priority has two windows measured from the case's creation. A clock runs until
it is stopped (first response: the first public comment, or the case closing;
resolution: closing). Breached: stopped (or still running) after its due time. At
risk: still running, not breached, with less than `at_risk_fraction` of its window
left. An open case whose running clock is overdue is escalated once per clock.

Configuration (environment), hours as `<first response>/<resolution>`, decimals allowed:
`SLA_URGENT_HOURS` (1/4), `SLA_HIGH_HOURS` (4/24), `SLA_MEDIUM_HOURS` (8/72),
`SLA_LOW_HOURS` (24/120); `SLA_AT_RISK_FRACTION` (0.25).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

PRIORITIES = ("low", "medium", "high", "urgent")
DEFAULT_HOURS = {"urgent": (1, 4), "high": (4, 24), "medium": (8, 72), "low": (24, 120)}
DEFAULT_AT_RISK_FRACTION = 0.25

# What a case can be overdue for, least serious first; a case remembers the worst it
# was escalated for, so each breach escalates it once.
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
_SERIOUSNESS = (None, FIRST_RESPONSE, RESOLUTION)


@dataclass(frozen=True)
class Windows:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class SlaPolicy:
    windows: Mapping[str, Windows]
    at_risk_fraction: float = DEFAULT_AT_RISK_FRACTION

    def due(self, priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) of a case of `priority` opened at `opened_at`."""
        windows = self.windows[priority]
        return opened_at + windows.first_response, opened_at + windows.resolution

    @classmethod
    def default(cls) -> "SlaPolicy":
        return cls({p: Windows(timedelta(hours=f), timedelta(hours=r)) for p, (f, r) in DEFAULT_HOURS.items()})

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "SlaPolicy":
        """The policy the environment configures; ValueError names a bad variable."""
        windows = dict(cls.default().windows)
        for priority in PRIORITIES:
            name = f"SLA_{priority.upper()}_HOURS"
            if environ.get(name):
                windows[priority] = _parse_windows(name, environ[name])
        fraction = DEFAULT_AT_RISK_FRACTION
        if environ.get("SLA_AT_RISK_FRACTION"):
            try:
                fraction = float(environ["SLA_AT_RISK_FRACTION"])
            except ValueError:
                fraction = -1.0
            if not 0 <= fraction < 1:
                raise ValueError(f"SLA_AT_RISK_FRACTION must be a number from 0 to below 1, not "
                                 f"{environ['SLA_AT_RISK_FRACTION']!r}")
        return cls(windows, fraction)


def _parse_windows(name: str, text: str) -> Windows:
    try:
        first, resolution = (float(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{name} must be '<first response hours>/<resolution hours>', not {text!r}") from None
    if not 0 < first <= resolution:
        raise ValueError(f"{name}: hours must be positive and first response <= resolution, not {text!r}")
    return Windows(timedelta(hours=first), timedelta(hours=resolution))


@dataclass(frozen=True)
class Clocks:
    """What the SLA needs to know of a case."""

    opened_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class SlaState:
    first_response_breached: bool
    resolution_breached: bool
    at_risk: bool


def _clock(opened_at: datetime, due: datetime, stopped_at: datetime | None, now: datetime,
           fraction: float) -> tuple[bool, bool]:
    """(breached, at risk) of one clock."""
    breached = (stopped_at or now) > due
    at_risk = stopped_at is None and not breached and (due - now) < (due - opened_at) * fraction
    return breached, at_risk


def sla_state(clocks: Clocks, now: datetime, at_risk_fraction: float) -> SlaState:
    first_stopped = clocks.first_responded_at or clocks.resolved_at
    first_breached, first_at_risk = _clock(clocks.opened_at, clocks.first_response_due, first_stopped, now,
                                           at_risk_fraction)
    resolution_breached, resolution_at_risk = _clock(clocks.opened_at, clocks.resolution_due, clocks.resolved_at,
                                                     now, at_risk_fraction)
    return SlaState(first_breached, resolution_breached, first_at_risk or resolution_at_risk)


def overdue_for(clocks: Clocks, now: datetime) -> str | None:
    """The most serious running clock that is past due at `now` (None: none is)."""
    if clocks.resolved_at is not None:
        return None
    if now > clocks.resolution_due:
        return RESOLUTION
    if clocks.first_responded_at is None and now > clocks.first_response_due:
        return FIRST_RESPONSE
    return None


def worse(overdue: str | None, escalated_for: str | None) -> bool:
    """Whether being overdue for `overdue` is worse than what the case was escalated for."""
    return _SERIOUSNESS.index(overdue) > _SERIOUSNESS.index(escalated_for)
