"""The read model's rows from other services' snapshots (the event catalogue's
OpportunitySnapshot and LeadSnapshot): plain functions, no I/O."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any, Mapping

from . import money


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _first_agent(referrals: list[Mapping[str, Any]]) -> str | None:
    """The agent of the first referral: who gets the credit for the deal."""
    return referrals[0].get("agent_id") if referrals else None


def opportunity_row(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """An `opportunities` row; the amount in whole minor units of its currency."""
    currency, amount = snapshot["currency"], snapshot.get("amount")
    referrals = list(snapshot.get("referrals") or [])
    return {
        **{name: snapshot[name] for name in (
            "id", "version", "name", "account_id", "owner_id", "currency", "stage", "probability",
            "forecast_category", "is_closed", "is_won")},
        "account_name": snapshot.get("account_name") or "",
        "amount_minor": None if amount is None else money.amount_minor(amount, currency),
        "close_date": date.fromisoformat(snapshot["close_date"]) if snapshot.get("close_date") else None,
        "lead_id": snapshot.get("lead_id"),
        "referral_agent_id": _first_agent(referrals),
        "referral_ids": json.dumps([r["referral_id"] for r in referrals]),
        "created_at": _moment(snapshot["created_at"]),
        "updated_at": _moment(snapshot["updated_at"]),
        "closed_at": _moment(snapshot.get("closed_at")),
    }


def lead_row(lead: Mapping[str, Any], first_seen: str) -> dict[str, Any]:
    """A `leads` row. A LeadSnapshot carries no creation time: `created_at` is the time
    of the event it came with (see use_cases.feed, which keeps the earliest), in UTC:
    SQLite stores it without its offset and the feed compares it with the stored one."""
    conversion = lead.get("conversion") or {}
    return {
        "id": lead["id"], "version": lead["version"], "owner_id": lead.get("owner_id"),
        "source": lead["source"], "status": lead["status"],
        "created_at": _moment(first_seen).astimezone(timezone.utc),
        "converted_at": _moment(conversion.get("converted_at")),
        "opportunity_id": conversion.get("opportunity_id"),
        "referral_agent_id": _first_agent(list(lead.get("referrals") or [])),
    }
