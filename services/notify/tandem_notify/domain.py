"""Who is told what, and how: plain rules, no I/O.

Three kinds of notification, from other services' events (docs/architecture.md, Event
catalogue): `lead_assigned` (the lead's new owner), `hot_lead` (owner and owner's
manager, once per lead scoring at or above the admin's threshold) and
`referral_update` (the agent who referred, when the referral is assigned, converted,
won, lost or rejected). Two channels: `in_app` (the inbox) and `email`.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

LEAD_ASSIGNED, HOT_LEAD, REFERRAL_UPDATE = "lead_assigned", "hot_lead", "referral_update"
KINDS = (LEAD_ASSIGNED, HOT_LEAD, REFERRAL_UPDATE)
IN_APP, EMAIL = "in_app", "email"
CHANNELS = (IN_APP, EMAIL)

# The inbox gets everything. Email goes out for what asks the reader to act now (a lead
# to work, a hot lead); a referral's progress is news the agent reads in the inbox.
DEFAULT_PREFERENCES = {
    IN_APP: {LEAD_ASSIGNED: True, HOT_LEAD: True, REFERRAL_UPDATE: True},
    EMAIL: {LEAD_ASSIGNED: True, HOT_LEAD: True, REFERRAL_UPDATE: False},
}
DEFAULT_HOT_LEAD_THRESHOLD = 80
SETTINGS_EDITOR_ROLE = "admin"
# The people who have an inbox; a system caller (the web form, another service) has none.
USER_ROLES = ("admin", "sales_manager", "sales_rep", "service_agent")
MIN_SCORE, MAX_SCORE = 0, 100
SETTINGS_FIELDS = ("hot_lead_threshold",)
_READ_ONLY = "is read-only: send the ETag you read in If-Match instead"


# -- errors: the service's adapters turn them into RpcFailures -----------------------------
class NotifyError(Exception):
    pass


class Invalid(NotifyError):
    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = dict(fields)


class NotFound(NotifyError):
    pass


class Forbidden(NotifyError):
    pass


class Stale(NotifyError):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the current version is {current_version}")
        self.current_version = current_version


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Stale(current)


# -- preferences and settings -----------------------------------------------------------------
Choices = dict[str, dict[str, bool]]  # channel -> kind -> on


@dataclass(frozen=True)
class Preferences:
    channels: Choices  # every channel and kind, defaults filled in
    version: int = 0  # 0 while the user kept the defaults


@dataclass(frozen=True)
class Settings:
    hot_lead_threshold: int = DEFAULT_HOT_LEAD_THRESHOLD
    version: int = 0  # 0 while the defaults apply


def parse_preferences(document: Any) -> Choices:
    """The choices a preferences document makes; every bad field is named
    (`<channel>` or `<channel>.<kind>`)."""
    if not isinstance(document, dict):
        raise Invalid({"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    choices: Choices = {}
    for channel, kinds in document.items():
        if channel == "version":
            problems[channel] = _READ_ONLY
        elif channel not in CHANNELS:
            problems[channel] = f"unknown channel: one of {', '.join(CHANNELS)}"
        elif not isinstance(kinds, dict):
            problems[channel] = "must be an object of kind: true|false"
        else:
            for kind, on in kinds.items():
                if kind not in KINDS:
                    problems[f"{channel}.{kind}"] = f"unknown kind: one of {', '.join(KINDS)}"
                elif not isinstance(on, bool):
                    problems[f"{channel}.{kind}"] = "must be true or false"
                else:
                    choices.setdefault(channel, {})[kind] = on
    if problems:
        raise Invalid(problems)
    return choices


def effective_preferences(choices: Mapping[str, Mapping[str, bool]]) -> Choices:
    """Every channel and kind: the user's choice, else the default."""
    return {
        channel: {kind: choices.get(channel, {}).get(kind, DEFAULT_PREFERENCES[channel][kind]) for kind in KINDS}
        for channel in CHANNELS
    }


def check_is_user(role: str) -> None:
    """Every call is a person's, about their own inbox (the settings: read by anyone of them)."""
    if role not in USER_ROLES:
        raise Forbidden(f"the role {role!r} has no inbox")


def check_may_change_settings(role: str) -> None:
    if role != SETTINGS_EDITOR_ROLE:
        raise Forbidden("only admins change the notification settings")


def parse_settings(document: Any) -> int:
    """The hot-lead threshold a settings document sets."""
    if not isinstance(document, dict):
        raise Invalid({"body": "must be a JSON object"})
    problems = {name: ("unknown field" if name != "version" else _READ_ONLY)
                for name in document if name not in SETTINGS_FIELDS}
    threshold = document.get("hot_lead_threshold")
    if "hot_lead_threshold" not in document:
        problems["hot_lead_threshold"] = "is required"
    # bool is an int subclass: `true` is not a threshold.
    elif not isinstance(threshold, int) or isinstance(threshold, bool) or not MIN_SCORE <= threshold <= MAX_SCORE:
        problems["hot_lead_threshold"] = f"must be an integer from {MIN_SCORE} to {MAX_SCORE}"
    if problems:
        raise Invalid(problems)
    return threshold


def is_hot(lead: Mapping[str, Any], threshold: int) -> bool:
    score = lead.get("score")
    return isinstance(score, (int, float)) and score >= threshold


# -- who gets it, on which channel ---------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    """A user as notify's copy of the directory knows them."""

    id: str
    email: str
    name: str
    active: bool
    manager_id: str | None


@dataclass(frozen=True)
class Delivery:
    in_app: bool
    email_to: str | None


def plan_delivery(
    kind: str, recipient: Recipient | None, choices: Mapping[str, Mapping[str, bool]], email_configured: bool
) -> Delivery:
    """A deactivated user gets nothing. A user not (yet) in the directory copy still gets
    the in-app notification, but no email: there is no address to send it to."""
    if recipient is not None and not recipient.active:
        return Delivery(in_app=False, email_to=None)
    wanted = effective_preferences(choices)
    email = recipient.email if recipient is not None and email_configured and wanted[EMAIL][kind] else None
    return Delivery(in_app=wanted[IN_APP][kind], email_to=email)


# -- what it says ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    kind: str
    title: str
    body: str
    data: dict[str, str]  # ids a client links to


_KIND_WORDS = {"upsell": "upsell", "cross_sell": "cross-sell"}


def _person(lead: Mapping[str, Any]) -> str:
    name = " ".join(part for part in (lead.get("first_name"), lead.get("last_name")) if part)
    return name or lead.get("email") or "a lead"


def _company(record: Mapping[str, Any]) -> str:
    return record.get("company") or "an unnamed company"


def _ids(**ids: Any) -> dict[str, str]:
    return {name: str(value) for name, value in ids.items() if value not in (None, "")}


def latest_referral(lead: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The referral a new owner is told of: the latest (referrals are listed oldest first)."""
    referrals = lead.get("referrals") or []
    return referrals[-1] if referrals else None


def lead_assigned_message(lead: Mapping[str, Any], agent_names: Mapping[str, str]) -> Message:
    """To the lead's new owner. A referred lead names the agent, the company and the
    product interest of its latest referral."""
    person, company = _person(lead), _company(lead)
    referral = latest_referral(lead)
    if referral is None:
        return Message(
            LEAD_ASSIGNED,
            f"Lead assigned to you: {person}, {company}",
            f"{person} at {company} is now yours to work.",
            _ids(lead_id=lead["id"]),
        )
    referrals = lead["referrals"]
    agent = agent_names.get(referral.get("agent_id") or "") or "A service agent"
    interest = referral.get("product_interest") or "more of what they have"
    kind = _KIND_WORDS.get(referral.get("kind"), "upsell")
    body = (f"{agent} referred {person} at {company} ({kind}: {interest}) "
            f"from support case #{referral.get('case_number')}. The lead is yours to work.")
    if len(referrals) > 1:
        body += f" It carries {len(referrals)} referrals."
    return Message(
        LEAD_ASSIGNED,
        f"Referred lead for you: {company} wants {interest}",
        body,
        _ids(lead_id=lead["id"], referral_id=referral.get("referral_id"), case_id=referral.get("case_id"),
             agent_id=referral.get("agent_id")),
    )


def hot_lead_for_owner(lead: Mapping[str, Any], threshold: int) -> Message:
    person, company = _person(lead), _company(lead)
    return Message(
        HOT_LEAD,
        f"Hot lead: {person}, {company} scores {lead['score']}",
        f"{person} at {company} scores {lead['score']} (hot from {threshold}). Reach out while it is warm.",
        _ids(lead_id=lead["id"], owner_id=lead.get("owner_id")),
    )


def hot_lead_for_manager(lead: Mapping[str, Any], threshold: int, owner_name: str | None) -> Message:
    person, company = _person(lead), _company(lead)
    return Message(
        HOT_LEAD,
        f"Hot lead on your team: {person}, {company} scores {lead['score']}",
        f"{person} at {company} scores {lead['score']} (hot from {threshold}); "
        f"{owner_name or 'a member of your team'} owns it.",
        _ids(lead_id=lead["id"], owner_id=lead.get("owner_id")),
    )


# What the agent is told per referral status; `submitted` and `lead_created` are the
# agent's own doing and too early to be news.
_OUTCOMES = {
    "assigned": "was assigned to {assignee}",
    "converted": "was converted: sales is working it as an opportunity",
    "won": "was won{amount}",
    "lost": "was lost{amount}",
    "rejected": "was rejected: {reason}",
}


def money_words(money: Any) -> str | None:
    """`{"amount": "12000", "currency": "USD"}` -> "12,000.00 USD"; None when it is not money."""
    if not isinstance(money, Mapping) or not isinstance(money.get("currency"), str):
        return None
    try:
        amount = Decimal(money.get("amount"))
    except (InvalidOperation, TypeError):
        return None
    return f"{amount:,.2f} {money['currency']}" if amount.is_finite() else None


def is_news_to_agent(referral: Mapping[str, Any]) -> bool:
    """Whether the referral's status is worth telling the agent who referred it."""
    return bool(referral.get("agent_id")) and referral.get("status") in _OUTCOMES


def referral_update_message(referral: Mapping[str, Any], assignee_name: str | None) -> Message | None:
    """To the agent who referred, or None when the status is not news to them. A won
    or lost referral names the deal's amount when sales gave one."""
    outcome = _OUTCOMES.get(referral.get("status"))
    if outcome is None:
        return None
    amount = money_words(referral.get("outcome_amount"))
    outcome = outcome.format(assignee=assignee_name or "a sales rep",
                             reason=referral.get("reason") or "no reason given", amount=f": {amount}" if amount else "")
    company = _company(referral)
    kind = _KIND_WORDS.get(referral.get("kind"), "upsell")
    interest = referral.get("product_interest") or "more of what they have"
    return Message(
        REFERRAL_UPDATE,
        f"Your referral for {company} {outcome}",
        f"Your {kind} referral ({interest}) from support case #{referral.get('case_number')} {outcome}.",
        _ids(referral_id=referral["id"], case_id=referral.get("case_id"), lead_id=referral.get("lead_id"),
             assignee_id=referral.get("assignee_id"), opportunity_id=referral.get("opportunity_id")),
    )


# -- email ------------------------------------------------------------------------------------
PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class OutgoingEmail:
    id: str
    to_address: str
    subject: str
    body: str


@dataclass(frozen=True)
class SendFailure:
    error: str
    permanent: bool  # the server refused for good (5xx): retrying cannot help


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential back-off: with the defaults an email is tried
    10 times over about 40 minutes (10 s, 20 s, ... at most 10 min apart), then `failed`."""

    max_attempts: int = 10
    first_delay_s: float = 10.0
    max_delay_s: float = 600.0

    def delay_after(self, attempts: int) -> float:
        """How long to wait before the next attempt, after `attempts` of them."""
        return min(self.first_delay_s * 2 ** max(attempts - 1, 0), self.max_delay_s)

    def status_after_failure(self, attempts: int, permanent: bool) -> str:
        """A permanent refusal (the server answered 5xx) is not retried."""
        return FAILED if permanent or attempts >= self.max_attempts else PENDING
