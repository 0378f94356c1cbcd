"""What a change of an opportunity, account or contact records in its history: entries
of (action, {field: {"from", "to"}}), values as the API shows them (decimal and date
strings). One change may make several entries, as a lead's does: the plain fields
("updated"), the move along the Sales Path with what it sets ("stage_changed") and the
new owner ("assigned"); a line item's entry carries the amount it moved.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import money
from .accounts import Account, Contact
from .opportunities import LineItem, Opportunity

CREATED, UPDATED, STAGE_CHANGED, ASSIGNED = "created", "updated", "stage_changed", "assigned"
LINE_ITEM_ADDED, LINE_ITEM_CHANGED, LINE_ITEM_REMOVED = "line_item_added", "line_item_changed", "line_item_removed"
ACTIONS = (CREATED, UPDATED, STAGE_CHANGED, ASSIGNED, LINE_ITEM_ADDED, LINE_ITEM_CHANGED, LINE_ITEM_REMOVED)

Changes = dict[str, dict[str, Any]]

# An opportunity's fields as a client sees them (the line items have entries of their own).
AUDITED = ("name", "account_id", "owner_id", "amount", "currency", "close_date", "stage", "probability",
           "forecast_category", "forecast_category_overridden", "next_step", "description", "lead_id",
           "primary_contact_id", "loss_reason", "is_closed", "is_won", "closed_at")
# What entering a stage sets besides the stage (domain.opportunities._enter).
WITH_STAGE = ("stage", "probability", "forecast_category", "forecast_category_overridden", "is_closed", "is_won",
              "closed_at")
OWNER = "owner_id"
_SERVER_OWNED = ("id", "created_at", "updated_at", "version")  # of accounts and contacts


def _opportunity_changes(before: Opportunity | None, after: Opportunity) -> Changes:
    changes = {}
    for name in AUDITED:
        old = before.value(name) if before is not None else None
        new = after.value(name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes


def _split(changes: Changes, groups: Mapping[str, tuple[str, ...]], rest: str) -> list[tuple[str, Changes]]:
    """The changes as one entry per group that has any (in `groups`' order), the others under `rest` first."""
    grouped = {name for names in groups.values() for name in names}
    entries = [(rest, {k: v for k, v in changes.items() if k not in grouped}),
               *((action, {k: v for k, v in changes.items() if k in names}) for action, names in groups.items())]
    return [(action, part) for action, part in entries if part]


def opportunity_entries(before: Opportunity | None, after: Opportunity) -> list[tuple[str, Changes]]:
    """A new opportunity: one "created" entry with every field it starts with. A change:
    "updated", "stage_changed" (when the stage moved) and "assigned", each with its fields."""
    changes = _opportunity_changes(before, after)
    if before is None:
        return [(CREATED, {name: change for name, change in changes.items() if change["to"] is not None})]
    groups = {STAGE_CHANGED: WITH_STAGE if "stage" in changes else (), ASSIGNED: (OWNER,)}
    return _split(changes, groups, UPDATED)


def line_item_value(item: LineItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"id": item.id, "product_id": item.product_id, "product_name": item.product_name,
            "quantity": money.text(item.quantity), "unit_price": money.text(item.unit_price),
            "discount": money.text(item.discount), "total": money.text(item.total)}


def line_item_entry(before: Opportunity, after: Opportunity, old: LineItem | None,
                    new: LineItem | None) -> tuple[str, Changes]:
    """A line item added (old None), changed or removed (new None), with what it did to the amount."""
    action = LINE_ITEM_ADDED if old is None else LINE_ITEM_REMOVED if new is None else LINE_ITEM_CHANGED
    return action, {"line_item": {"from": line_item_value(old), "to": line_item_value(new)},
                    **_opportunity_changes(before, after)}


def new_record_entries(record: Account | Contact) -> list[tuple[str, Changes]]:
    """A new account or contact: one "created" entry with every field it starts with."""
    return [(CREATED, {name: {"from": None, "to": value} for name, value in vars(record).items()
                       if name not in _SERVER_OWNED and value is not None})]


def record_entries(differences: Mapping[str, tuple[Any, Any]]) -> list[tuple[str, Changes]]:
    """A changed account or contact, from {field: (before, after)}: "updated", and
    "assigned" for a new owner."""
    changes = {name: {"from": old, "to": value} for name, (old, value) in differences.items()}
    return _split(changes, {ASSIGNED: (OWNER,)}, UPDATED)
