"""Pipeline analytics as plain arithmetic over totals the read model gives (by stage,
currency, agent): conversion to the forecast currency, the stage order, ratios and
averages. Every figure keeps its count beside its sum, so each can be explained.

Totals arrive per currency and are converted as subtotals (`money.convert`); a currency
with no rate is never summed but reported in `unconverted`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

from . import money

RATIO_PLACES = Decimal("0.0001")
DAYS_PLACES = Decimal("0.1")


@dataclass
class Converter:
    """Sums amounts into the forecast currency; keeps what it could not convert."""
    currency: str
    rates: Mapping[str, Decimal]
    unconverted: dict[str, list[int]] = field(default_factory=dict)  # currency -> [count, minor]

    def minor(self, amount_minor: int | None, currency: str, count: int) -> int:
        """`amount_minor` of `currency` (a subtotal of `count` deals) in the forecast currency; 0 when unknown."""
        if not amount_minor:
            return 0
        converted = money.convert(int(amount_minor), currency, self.currency, self.rates)
        if converted is None:
            seen = self.unconverted.setdefault(currency, [0, 0])
            seen[0] += count
            seen[1] += int(amount_minor)
            return 0
        return converted

    def text(self, minor: int) -> str:
        return money.text(minor, self.currency)

    def left_out(self) -> list[dict[str, object]]:
        return [{"currency": code, "count": count, "amount": money.text(minor, code)}
                for code, (count, minor) in sorted(self.unconverted.items())]


@dataclass
class Tally:
    """A count of deals and their amount in minor units of the forecast currency."""
    count: int = 0
    minor: int = 0

    def add(self, count: int, minor: int) -> None:
        self.count += count
        self.minor += minor


@dataclass
class StageTotal:
    stage: str
    is_closed: bool
    is_won: bool
    probability: int  # the lowest seen on the stage's deals: their place on the Sales Path
    tally: Tally


def stage_totals(rows: Iterable[Mapping], converter: Converter) -> list[StageTotal]:
    """Rows of (stage, is_closed, is_won, probability, currency, deals, minor) as one total
    per stage, in Sales Path order as the data shows it: open stages by probability, then
    won, then lost (ties by name)."""
    stages: dict[str, StageTotal] = {}
    for row in rows:
        total = stages.setdefault(row["stage"], StageTotal(row["stage"], bool(row["is_closed"]), bool(row["is_won"]),
                                                           row["probability"], Tally()))
        total.probability = min(total.probability, row["probability"])
        total.tally.add(row["deals"], converter.minor(row["minor"], row["currency"], row["deals"]))
    return sorted(stages.values(), key=lambda s: (s.is_closed, not s.is_won, s.probability, s.stage))


def ratio(part: int, whole: int) -> str | None:
    """part / whole as a decimal string of four places; None with nothing to divide by."""
    if not whole:
        return None
    return format((Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP), "f")


def average_minor(total_minor: int, count: int) -> int | None:
    if not count:
        return None
    return int((Decimal(total_minor) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def average_days(total_days: int, count: int) -> str | None:
    if not count:
        return None
    return format((Decimal(total_days) / count).quantize(DAYS_PLACES, rounding=ROUND_HALF_UP), "f")


@dataclass
class ReferralTotal:
    """Revenue credited to a service agent (or a team: the agent's manager)."""
    id: str | None
    name: str | None
    pipeline: Tally = field(default_factory=Tally)
    won: Tally = field(default_factory=Tally)


def referral_revenue(rows: Iterable[Mapping], users: Mapping[str, Mapping], converter: Converter
                     ) -> tuple[ReferralTotal, list[ReferralTotal], list[ReferralTotal]]:
    """Rows of (agent_id, is_closed, is_won, currency, deals, minor) as (the total, by
    agent, by team). Open deals are pipeline, won deals won; lost deals count in neither.
    An agent's team is their manager in the users copy (None: no manager known)."""
    total, agents, teams = ReferralTotal(None, None), {}, {}

    def named(found: dict, user_id: str | None) -> ReferralTotal:
        if user_id not in found:
            found[user_id] = ReferralTotal(user_id, users[user_id]["name"] if user_id in users else None)
        return found[user_id]

    for row in rows:
        if row["is_closed"] and not row["is_won"]:
            continue
        minor = converter.minor(row["minor"], row["currency"], row["deals"])
        agent = row["agent_id"]
        team = users[agent]["manager_id"] if agent in users else None
        for tallies in (total, named(agents, agent), named(teams, team)):
            (tallies.won if row["is_won"] else tallies.pipeline).add(row["deals"], minor)

    def biggest_first(found: dict) -> list[ReferralTotal]:
        return sorted(found.values(), key=lambda t: (-(t.won.minor + t.pipeline.minor), t.id or ""))

    return total, biggest_first(agents), biggest_first(teams)
