"""Referrals: an agent hands sales an upsell or cross-sell seen in a case, then follows
what becomes of the lead.

`submitted` -> `lead_created` -> `assigned` -> `converted` -> `won` | `lost`, or
`rejected` (with the reason) when sales disqualifies the lead. The status is derived
from the newest lead snapshot seen (each leads event carries the whole lead with its
version); an older or repeated snapshot changes nothing, and `won` / `lost` (set from
sales' events) are final. A referral stays with the first lead it was attached to.

Sales' events may overtake the leads events: an opportunity that lists the referral
means it was converted, and its closing is final whatever arrives after it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from .cases import Case
from .common import Failure, Fields, rfc3339

KINDS = ("upsell", "cross_sell")
SUBMITTED, LEAD_CREATED, ASSIGNED, CONVERTED, WON, LOST, REJECTED = (
    "submitted", "lead_created", "assigned", "converted", "won", "lost", "rejected")
STATUSES = (SUBMITTED, LEAD_CREATED, ASSIGNED, CONVERTED, WON, LOST, REJECTED)
FINAL = frozenset({WON, LOST})

MAX_PRODUCT_INTEREST, MAX_NOTES = 200, 5_000
MAX_AMOUNT = Decimal("1e13")  # fits minor units in a 64-bit integer with room to spare
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Money:
    amount: Decimal  # at most two decimals
    currency: str  # ISO 4217

    def to_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount.quantize(CENTS)), "currency": self.currency}

    @property
    def minor_units(self) -> int:
        return int(self.amount * 100)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> "Money":
        return cls(Decimal(minor) / 100, currency)


@dataclass(frozen=True)
class NewReferral:
    kind: str
    product_interest: str
    notes: str | None
    estimated_value: Money | None


@dataclass(frozen=True)
class Referral:
    id: str
    case_id: str
    agent_id: str
    kind: str
    status: str
    lead_id: str | None
    lead_version: int | None  # of the newest lead snapshot applied
    assignee_id: str | None
    product_interest: str
    notes: str | None
    estimated_value: Money | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    opportunity_id: str | None = None  # the opportunity its lead became
    outcome_amount: Money | None = None  # the deal's amount, once won or lost


def _money(reader: Fields, name: str) -> Money | None:
    value = reader.values.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        reader.problem(name, "must be an object with amount and currency")
        return None
    amount, currency = value.get("amount"), value.get("currency")
    money_ok = True
    try:
        parsed = Decimal(amount) if isinstance(amount, str) else None
    except InvalidOperation:
        parsed = None
    if parsed is None or not parsed.is_finite() or not 0 < parsed < MAX_AMOUNT or parsed != parsed.quantize(CENTS):
        reader.problem(f"{name}.amount", "must be a positive decimal string with at most two decimals, e.g. \"1234.50\"")
        money_ok = False
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isupper()):
        reader.problem(f"{name}.currency", "must be an ISO 4217 code, e.g. USD")
        money_ok = False
    return Money(parsed, currency) if money_ok else None


def parse_referral(values: Mapping[str, Any]) -> NewReferral:
    reader = Fields(values)
    new = NewReferral(
        kind=reader.choice("kind", KINDS),
        product_interest=reader.text("product_interest", MAX_PRODUCT_INTEREST, required=True),
        notes=reader.text("notes", MAX_NOTES),
        estimated_value=_money(reader, "estimated_value"),
    )
    reader.check()
    return new


def submit(new: NewReferral, *, referral_id: str, case: Case, agent_id: str, now: datetime) -> Referral:
    """A referral from `case`, which must name the customer sales is to call (any status:
    an agent often spots the upsell while closing the case)."""
    if case.contact is None:
        raise Failure("rule", "case_has_no_contact", "add the customer's contact to the case before referring")
    return Referral(
        id=referral_id, case_id=case.id, agent_id=agent_id, kind=new.kind, status=SUBMITTED, lead_id=None,
        lead_version=None, assignee_id=None, product_interest=new.product_interest, notes=new.notes,
        estimated_value=new.estimated_value, reason=None, created_at=now, updated_at=now, version=1,
    )


def listed_in(record: Mapping[str, Any]) -> list[str]:
    """The referral ids a lead or opportunity snapshot lists, once each, in its order
    (none for a lead that no referral made: a web form's, say)."""
    return list(dict.fromkeys(ref["referral_id"] for ref in record.get("referrals") or ()))


def status_from_lead(lead: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(status, assignee, reason) of a referral whose lead is `lead` (a LeadSnapshot)."""
    owner = lead.get("owner_id")
    if lead["status"] == "converted":
        return CONVERTED, owner, None
    if lead["status"] == "unqualified":
        return REJECTED, owner, lead.get("status_reason")
    return (ASSIGNED if owner else LEAD_CREATED), owner, None


def follow_lead(referral: Referral, lead: Mapping[str, Any], now: datetime) -> Referral:
    """The referral after seeing `lead`; itself when the snapshot is not newer, belongs
    to another lead, or the referral is final. Its version moves only when something
    the agent sees changes."""
    if referral.lead_id not in (None, lead["id"]) or referral.status in FINAL:
        return referral
    if referral.lead_version is not None and lead["version"] <= referral.lead_version:
        return referral
    status, assignee_id, reason = status_from_lead(lead)
    if referral.opportunity_id is not None:  # sales made its opportunity: converted, whatever older lead news says
        status, reason = CONVERTED, None
    seen = dict(lead_id=lead["id"], status=status, assignee_id=assignee_id, reason=reason)
    if all(getattr(referral, name) == value for name, value in seen.items()):
        return replace(referral, lead_version=lead["version"])
    return replace(referral, **seen, lead_version=lead["version"], updated_at=now, version=referral.version + 1)


def event_money(value: Any) -> Money | None:
    """An event's Money (`{"amount": "1234.50", "currency": "USD"}`), to the cent; None
    when absent or not money (an amount is news, never a reason to refuse an event)."""
    if not isinstance(value, Mapping) or not isinstance(value.get("currency"), str):
        return None
    try:
        amount = Decimal(value.get("amount"))
    except (InvalidOperation, TypeError):
        return None
    if not amount.is_finite() or not 0 <= amount < MAX_AMOUNT:
        return None
    return Money(amount.quantize(CENTS), value["currency"])


def _moved(referral: Referral, now: datetime, **changes: Any) -> Referral:
    """The referral with `changes`; itself when they change nothing."""
    if all(getattr(referral, name) == value for name, value in changes.items()):
        return referral
    return replace(referral, **changes, updated_at=now, version=referral.version + 1)


def follow_opportunity(referral: Referral, opportunity: Mapping[str, Any], now: datetime) -> Referral:
    """The referral once its lead became `opportunity` (an OpportunitySnapshot): it
    points at it and is converted, unless it is final already."""
    if referral.status in FINAL or referral.opportunity_id not in (None, opportunity["id"]):
        return referral
    return _moved(referral, now, opportunity_id=opportunity["id"], status=CONVERTED,
                  lead_id=referral.lead_id or opportunity.get("lead_id"))


def close_with_opportunity(referral: Referral, opportunity: Mapping[str, Any], won: bool, amount: Money | None,
                           now: datetime) -> Referral:
    """Won or lost with the deal's amount: final, whatever the leads events say later."""
    if referral.status in FINAL or referral.opportunity_id not in (None, opportunity["id"]):
        return referral
    return _moved(referral, now, opportunity_id=opportunity["id"], status=WON if won else LOST,
                  outcome_amount=amount, lead_id=referral.lead_id or opportunity.get("lead_id"))


# -- what the events carry (docs/architecture.md, event catalogue) -------------------------
def submitted_event(referral: Referral, case: Case) -> dict[str, Any]:
    contact = case.contact
    return {
        "referral": {
            "id": referral.id, "case_id": case.id, "case_number": case.display_number, "case_subject": case.subject,
            "kind": referral.kind, "product_interest": referral.product_interest, "notes": referral.notes,
            "estimated_value": referral.estimated_value.to_dict() if referral.estimated_value else None,
            "agent_id": referral.agent_id, "submitted_at": rfc3339(referral.created_at),
        },
        "case": {"id": case.id, "number": case.display_number, "subject": case.subject,
                 "account_id": case.account_id, "priority": case.priority},
        "contact": contact.to_dict(),
    }


def status_changed_event(referral: Referral, case: Case, previous_status: str) -> dict[str, Any]:
    return {
        "referral": {
            "id": referral.id, "case_id": case.id, "case_number": case.display_number, "agent_id": referral.agent_id,
            "kind": referral.kind, "product_interest": referral.product_interest, "status": referral.status,
            "lead_id": referral.lead_id, "assignee_id": referral.assignee_id, "reason": referral.reason,
            "company": case.contact.company if case.contact else None,
            "opportunity_id": referral.opportunity_id,
            "outcome_amount": referral.outcome_amount.to_dict() if referral.outcome_amount else None,
        },
        "previous_status": previous_status,
    }
