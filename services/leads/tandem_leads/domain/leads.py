"""What a lead is, which values it accepts, and how its status may move.

Every check reports each bad field at once (`Failure("invalid", ...)` with
`details.fields`), so a client fixes a request in one round trip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from tandem_plumbing.failures import Failure

NEW, WORKING, NURTURING, QUALIFIED, UNQUALIFIED, CONVERTED = (
    "new", "working", "nurturing", "qualified", "unqualified", "converted"
)
STATUSES = (NEW, WORKING, NURTURING, QUALIFIED, UNQUALIFIED, CONVERTED)
SETTABLE_STATUSES = STATUSES[:-1]  # `converted` belongs to conversion (POST /leads/{id}/convert)
CLOSED_STATUSES = frozenset({UNQUALIFIED, CONVERTED})  # not open: never merged into, not counted as load
# Where a lead may go from each status. Unqualified leads can be reopened; nothing leaves `converted`.
TRANSITIONS = {
    NEW: frozenset({WORKING, NURTURING, QUALIFIED, UNQUALIFIED}),
    WORKING: frozenset({NURTURING, QUALIFIED, UNQUALIFIED}),
    NURTURING: frozenset({WORKING, QUALIFIED, UNQUALIFIED}),
    QUALIFIED: frozenset({WORKING, NURTURING, UNQUALIFIED}),
    UNQUALIFIED: frozenset({WORKING, NURTURING}),
    CONVERTED: frozenset(),
}

SERVICE_REFERRAL = "service_referral"
SOURCES = ("web", "phone", "email", "event", "partner", "referral", SERVICE_REFERRAL, "other")

# The fields a client writes; everything else on a lead is the server's.
FIELDS = (
    "first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "employees",
    "source", "status", "status_reason", "description",
)
REQUIRED = ("first_name", "last_name", "email", "company")
CLEARABLE = ("title", "phone", "industry", "country", "employees", "status_reason", "description")
MAX_LENGTHS = {
    "first_name": 100, "last_name": 100, "email": 320, "company": 200, "title": 200, "phone": 50,
    "industry": 100, "status_reason": 500, "description": 10_000,
}
MAX_EMPLOYEES = 10_000_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]{3,50}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def invalid(fields: Mapping[str, str], message: str = "the request has invalid fields") -> Failure:
    return Failure("invalid", "validation_failed", message, {"fields": dict(fields)})


@dataclass(frozen=True)
class Money:
    amount: str  # a decimal string, never a float
    currency: str


@dataclass(frozen=True)
class Referral:
    """A service agent's referral attached to a lead (from `referral_submitted`)."""

    referral_id: str
    case_id: str
    case_number: Any  # kept as service_desk sent it
    agent_id: str
    kind: str
    product_interest: str
    notes: str | None
    estimated_value: Money | None
    case_subject: str | None
    attached_at: datetime | None = None

    def ref(self) -> dict[str, Any]:
        """The catalogue's ReferralRef."""
        return {
            "referral_id": self.referral_id,
            "case_id": self.case_id,
            "case_number": self.case_number,
            "agent_id": self.agent_id,
            "kind": self.kind,
            "product_interest": self.product_interest,
        }


@dataclass(frozen=True)
class Conversion:
    """Where a converted lead went in sales."""

    account_id: str
    contact_id: str
    opportunity_id: str
    converted_at: datetime
    converted_by: str | None
    account_created: bool  # sales made the account (rather than reusing one)

    def snapshot(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "contact_id": self.contact_id, "opportunity_id": self.opportunity_id,
                "converted_at": rfc3339(self.converted_at)}


@dataclass(frozen=True)
class ScoreFactor:
    factor: str
    points: int
    reason: str


@dataclass(frozen=True)
class Lead:
    id: str
    first_name: str
    last_name: str
    email: str | None
    company: str
    title: str | None
    phone: str | None
    industry: str | None
    country: str | None
    employees: int | None
    source: str
    status: str
    status_reason: str | None
    score: int
    score_factors: tuple[ScoreFactor, ...]
    owner_id: str | None
    description: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    referrals: tuple[Referral, ...] = field(default=())
    conversion: Conversion | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def with_changes(self, **values: Any) -> "Lead":
        return replace(self, **values)

    def snapshot(self) -> dict[str, Any]:
        """The catalogue's LeadSnapshot: the whole lead as it is after a change."""
        return {
            "id": self.id,
            "version": self.version,
            **{name: getattr(self, name) for name in (
                "first_name", "last_name", "email", "company", "title", "industry", "country", "employees",
                "source", "status", "status_reason", "score",
            )},
            "score_factors": [vars(f) for f in self.score_factors],
            "owner_id": self.owner_id,
            "referrals": [r.ref() for r in self.referrals],
            "conversion": self.conversion.snapshot() if self.conversion else None,
        }


# -- checking values ------------------------------------------------------------------------
def _text(name: str, value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return "must be a string", None
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        return f"must be at most {MAX_LENGTHS[name]} characters", None
    return None, value


def _check(name: str, value: Any) -> tuple[str | None, Any]:
    """(problem, clean value) for one client field."""
    if name == "employees":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EMPLOYEES:
            return f"must be a whole number from 0 to {MAX_EMPLOYEES}", None
        return None, value
    if name in ("source", "status", "country"):
        if not isinstance(value, str):
            return "must be a string", None
        if name == "source" and value not in SOURCES:
            return f"must be one of {', '.join(SOURCES)}", None
        if name == "status" and value not in SETTABLE_STATUSES:
            if value == CONVERTED:
                return "converted is set by conversion (POST /leads/{id}/convert)", None
            return f"must be one of {', '.join(SETTABLE_STATUSES)}", None
        if name == "country":
            if not _COUNTRY.match(value.strip()):
                return "must be an ISO 3166-1 alpha-2 code such as US or DE", None
            return None, value.strip().upper()
        return None, value
    problem, text = _text(name, value)
    if problem:
        return problem, None
    if name in REQUIRED and not text:
        return "must not be empty", None
    if name == "email" and not _EMAIL.match(text):
        return "must be a valid email address", None
    if name == "phone" and text and not _PHONE.match(text):
        return "must be a phone number (digits, spaces, + ( ) . - /)", None
    return None, text or None  # an empty optional text is no value


def _check_all(values: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in FIELDS:
            problems[name] = "unknown field"
            continue
        problem, value = _check(name, value)
        if problem:
            problems[name] = problem
        else:
            clean[name] = value
    return clean


def parse_new_lead(values: Mapping[str, Any]) -> dict[str, Any]:
    """A create request's fields, checked; defaults filled (source other, status new)."""
    problems: dict[str, str] = {}
    clean = _check_all(values, problems)
    for name in REQUIRED:
        if name not in values:
            problems[name] = "is required"
    if clean.get("status") == UNQUALIFIED and not clean.get("status_reason"):
        problems["status_reason"] = "is required when the status is unqualified"
    if problems:
        raise invalid(problems)
    return {"source": "other", "status": NEW, **clean}


def parse_changes(values: Mapping[str, Any], clear: Iterable[str] = ()) -> dict[str, Any]:
    """An update's fields, checked; each field of `clear` becomes None."""
    problems: dict[str, str] = {}
    changes = _check_all(values, problems)
    for name in clear:
        if name in values:
            problems[name] = "is both set and cleared"
        elif name in CLEARABLE:
            changes[name] = None
        else:
            problems[name] = "cannot be cleared" if name in FIELDS or name == "owner_id" else "unknown field"
    if changes.get("status") == UNQUALIFIED and not changes.get("status_reason"):
        problems["status_reason"] = "is required when moving to unqualified"
    if problems:
        raise invalid(problems)
    return changes


def apply_changes(lead: Lead, changes: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What `changes` would change on `lead`, as {field: (before, after)}; a status
    move must be allowed, and a new status without a reason clears the old reason."""
    if lead.status == CONVERTED:
        raise Failure("rule", "lead_converted", "a converted lead cannot be changed")
    changes = dict(changes)
    status = changes.get("status", lead.status)
    if status != lead.status:
        if status not in TRANSITIONS[lead.status]:
            allowed = sorted(TRANSITIONS[lead.status])
            raise Failure(
                "rule", "invalid_status_transition", f"a {lead.status} lead cannot move to {status}",
                {"from": lead.status, "to": status, "allowed": allowed},
            )
        changes.setdefault("status_reason", None)
    return {
        name: (getattr(lead, name), value) for name, value in changes.items() if getattr(lead, name) != value
    }


# -- conversion --------------------------------------------------------------------------------
MAX_OPPORTUNITY_NAME, MAX_ID = 200, 64
MAX_AMOUNT = Decimal("1e13")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class ConversionRequest:
    """What the caller asked of a conversion; what is left out, sales chooses."""

    account_id: str | None = None
    opportunity_name: str | None = None
    amount: Money | None = None
    close_date: str | None = None  # YYYY-MM-DD


def _amount_problems(amount: Money) -> dict[str, str]:
    problems = {}
    try:
        value = Decimal(amount.amount)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value < MAX_AMOUNT or value.as_tuple().exponent < -2:
        problems["amount.amount"] = 'must be a decimal string from 0 with at most two decimals, e.g. "1234.50"'
    if not _CURRENCY.match(amount.currency):
        problems["amount.currency"] = "must be an ISO 4217 code, e.g. USD"
    return problems


def check_conversion(request: ConversionRequest) -> ConversionRequest:
    """The request with its texts trimmed; every bad field named at once."""
    problems: dict[str, str] = {}
    name = request.opportunity_name.strip() if request.opportunity_name is not None else None
    if name is not None and not 0 < len(name) <= MAX_OPPORTUNITY_NAME:
        problems["opportunity_name"] = f"must be 1 to {MAX_OPPORTUNITY_NAME} characters"
    account_id = request.account_id.strip() if request.account_id is not None else None
    if account_id is not None and not 0 < len(account_id) <= MAX_ID:
        problems["account_id"] = "must be an account id"
    if request.amount is not None:
        problems.update(_amount_problems(request.amount))
    if request.close_date is not None:
        try:
            date.fromisoformat(request.close_date)
            if len(request.close_date) != 10:
                raise ValueError
        except ValueError:
            problems["close_date"] = "must be a date YYYY-MM-DD"
    if problems:
        raise invalid(problems)
    return replace(request, account_id=account_id, opportunity_name=name)


def with_referral_estimate(request: ConversionRequest, lead: Lead) -> ConversionRequest:
    """Without an amount, the opportunity starts at the first referral's estimate (sales
    is not told the estimates otherwise)."""
    if request.amount is not None:
        return request
    estimate = next((r.estimated_value for r in lead.referrals if r.estimated_value is not None), None)
    return replace(request, amount=estimate)


def check_convertible(lead: Lead) -> None:
    """An unqualified lead was judged not worth selling to: reopen it first."""
    if lead.status == UNQUALIFIED:
        raise Failure("rule", "lead_unqualified", "an unqualified lead cannot be converted; reopen it first",
                      {"status": lead.status})


# -- a lead from a referral ------------------------------------------------------------------
def split_name(name: str) -> tuple[str, str]:
    """"Mary Ann Smith" -> ("Mary Ann", "Smith"); one word is a last name."""
    words = name.split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]


def _money(value: Any) -> Money | None:
    if isinstance(value, Mapping) and isinstance(value.get("amount"), str) and isinstance(value.get("currency"), str):
        return Money(value["amount"], value["currency"])
    return None


def _opt_text(value: Any, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def parse_referral(data: Mapping[str, Any]) -> tuple[Referral, dict[str, Any]]:
    """A `referral_submitted` event's data -> (the referral, the lead fields it gives).

    A contact may be incomplete (a case's contact is optional): what is missing stays
    empty rather than refusing the referral; the company falls back to the email's domain.
    """
    referral, case, contact = data.get("referral"), data.get("case") or {}, data.get("contact") or {}
    problems = {}
    if not isinstance(referral, Mapping):
        raise invalid({"referral": "is required"}, "the referral event has no referral")
    for name in ("id", "case_id", "agent_id", "product_interest"):
        if not isinstance(referral.get(name), str) or not referral[name]:
            problems[f"referral.{name}"] = "is required"
    if problems:
        raise invalid(problems, "the referral event is incomplete")
    ref = Referral(
        referral_id=referral["id"],
        case_id=referral["case_id"],
        case_number=referral.get("case_number", case.get("number")),
        agent_id=referral["agent_id"],
        kind=referral.get("kind") or "upsell",
        product_interest=referral["product_interest"],
        notes=_opt_text(referral.get("notes"), MAX_LENGTHS["description"]),
        estimated_value=_money(referral.get("estimated_value")),
        case_subject=_opt_text(referral.get("case_subject", case.get("subject")), 500),
    )
    email = _opt_text(contact.get("email"), MAX_LENGTHS["email"])
    if email and not _EMAIL.match(email):
        email = None
    first_name, last_name = split_name(_opt_text(contact.get("name"), 200) or "")
    company = _opt_text(contact.get("company"), MAX_LENGTHS["company"]) or (email.rsplit("@", 1)[1] if email else "")
    phone = _opt_text(contact.get("phone"), MAX_LENGTHS["phone"])
    fields = {
        "first_name": first_name[: MAX_LENGTHS["first_name"]],
        "last_name": last_name[: MAX_LENGTHS["last_name"]],
        "email": email,
        "company": company,
        "phone": phone if phone and _PHONE.match(phone) else None,
        "source": SERVICE_REFERRAL,
        "status": NEW,
        "description": referral_description(ref),
    }
    return ref, fields


def referral_description(ref: Referral) -> str:
    case = f"case {ref.case_number}" if ref.case_number not in (None, "") else "a case"
    subject = f" ({ref.case_subject})" if ref.case_subject else ""
    text = f"{ref.kind.replace('_', '-')} referral from {case}{subject}: {ref.product_interest}"
    return (f"{text}\n{ref.notes}" if ref.notes else text)[: MAX_LENGTHS["description"]]


MERGE_FILLS = ("first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "employees",
               "description")


def fill_missing(lead: Lead, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `fields` for what `lead` lacks: a merge never overwrites."""
    return {name: fields[name] for name in MERGE_FILLS if fields.get(name) and not getattr(lead, name)}
