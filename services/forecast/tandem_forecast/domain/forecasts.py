"""Forecast numbers: cumulative categories, the rollup up the hierarchy, adjustments
and attainment. Plain Python over minor units of the forecast currency.

An opportunity's `forecast_category` is one of pipeline | best_case | commit | closed |
omitted; the four forecast NUMBERS are cumulative like Salesforce's collaborative
forecasts (closed = closed won; commit = commit + closed; best_case = best_case +
commit + closed; open_pipeline = pipeline + best_case + commit). Omitted never counts.

Rollup: a user's unadjusted number is their own deals plus their direct reports'
unadjusted numbers. Their adjusted number is their current adjustment when they have
one, else their own deals plus their direct reports' ADJUSTED numbers: an adjustment
on a report rolls up into every manager above. The tree is the directory as it is now,
so a rep moved to another manager takes their numbers (and adjustments) along.
Deactivated users stay in the tree: their deals still count where they sit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

CLOSED, COMMIT, BEST_CASE, OPEN_PIPELINE = "closed", "commit", "best_case", "open_pipeline"
NUMBERS = (CLOSED, COMMIT, BEST_CASE, OPEN_PIPELINE)
DEAL_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
# forecast number -> the opportunity categories it adds up
INCLUDES = {
    CLOSED: ("closed",),
    COMMIT: ("commit", "closed"),
    BEST_CASE: ("best_case", "commit", "closed"),
    OPEN_PIPELINE: ("pipeline", "best_case", "commit"),
}
COUNTED = frozenset(category for included in INCLUDES.values() for category in included)

Numbers = dict[str, int]  # forecast number -> minor units


def zero() -> Numbers:
    return dict.fromkeys(NUMBERS, 0)


def cumulative(by_category: Mapping[str, int]) -> Numbers:
    """Totals per opportunity category -> the four forecast numbers."""
    return {number: sum(by_category.get(category, 0) for category in INCLUDES[number]) for number in NUMBERS}


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {key: a.get(key, 0) + b.get(key, 0) for key in {*a, *b}}


@dataclass
class Forecast:
    """One user's numbers for a period, rolled up over their subtree."""

    user_id: str
    unadjusted: Numbers
    adjusted: Numbers
    adjustments: dict[str, int]  # number -> this user's current adjustment
    unconverted: dict[str, tuple[int, int]]  # currency -> (deals, minor units of it) left out: no rate
    children: list["Forecast"] = field(default_factory=list)


def direct_reports(managers: Mapping[str, str | None]) -> dict[str, list[str]]:
    reports: dict[str, list[str]] = {}
    for user_id, manager_id in sorted(managers.items()):
        if manager_id is not None:
            reports.setdefault(manager_id, []).append(user_id)
    return reports


def roll_up(
    root: str,
    managers: Mapping[str, str | None],
    own: Mapping[str, Mapping[str, int]],
    adjustments: Mapping[str, Mapping[str, int]],
    unconverted: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> Forecast:
    """`root`'s forecast with one child per direct report, each rolled up over its own
    subtree. `own`: user -> their own deals' numbers (see `cumulative`); `adjustments`:
    user -> number -> current adjustment; `unconverted`: user -> currency -> (deals,
    minor units) of their own deals that have no exchange rate."""
    reports = direct_reports(managers)
    unconverted = unconverted or {}
    seen: set[str] = set()

    def build(user_id: str) -> Forecast:
        seen.add(user_id)
        # The gateway prevents loops; a stale copy of the directory must not recurse forever.
        children = [build(report) for report in reports.get(user_id, []) if report not in seen]
        mine = {**zero(), **own.get(user_id, {})}
        unadjusted, computed = dict(mine), dict(mine)
        left_out: dict[str, tuple[int, int]] = dict(unconverted.get(user_id, {}))
        for child in children:
            unadjusted = _add(unadjusted, child.unadjusted)
            computed = _add(computed, child.adjusted)
            for currency, (deals, minor) in child.unconverted.items():
                before = left_out.get(currency, (0, 0))
                left_out[currency] = (before[0] + deals, before[1] + minor)
        current = dict(adjustments.get(user_id, {}))
        adjusted = {number: current.get(number, computed[number]) for number in NUMBERS}
        return Forecast(user_id, _ordered(unadjusted), adjusted, current, left_out, children)

    return build(root)


def _ordered(numbers: Mapping[str, int]) -> Numbers:
    return {number: numbers.get(number, 0) for number in NUMBERS}


def attainment(closed_minor: int, quota_minor: int | None) -> Decimal | None:
    """Closed won as a percentage of the quota, to two decimals; None without a quota
    (or a zero one)."""
    if not quota_minor:
        return None
    return (Decimal(closed_minor) * 100 / Decimal(quota_minor)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
