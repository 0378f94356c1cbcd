"""A service's local copy of the gateway's user directory.

The gateway publishes `user_created` / `user_changed` with the whole user in
`data["user"]`; services that need to know users (owners, agents, the manager
hierarchy, recipients) keep a table of this shape, named for what it means to them.
`visible_owners` is the one reading of that hierarchy every service applies to the
records it owns.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table
from sqlalchemy.orm import Session

from .failures import Caller
from .replica import upsert_if_newer

USER_EVENTS = ("user_created", "user_changed")
FIELDS = ("id", "email", "name", "role", "manager_id", "active", "version")
ADMIN, SALES_MANAGER, SALES_REP = "admin", "sales_manager", "sales_rep"


def directory_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("email", String(320), nullable=False),
        Column("name", String(200), nullable=False),
        Column("role", String(32), nullable=False),
        Column("manager_id", String(64)),
        Column("active", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
    )


def record_user(session: Session, table: Table, user: dict[str, Any]) -> bool:
    """Keep the copy of one user current; an older version never wins."""
    return upsert_if_newer(session, table, {field: user[field] for field in FIELDS})


def subtree(root: str, managers: Mapping[str, str | None]) -> set[str]:
    """`root` and everyone below them; `managers` maps user id -> manager id."""
    reports: dict[str, list[str]] = {}
    for user_id, manager_id in managers.items():
        if manager_id is not None:
            reports.setdefault(manager_id, []).append(user_id)
    seen, todo = {root}, [root]
    while todo:
        for report in reports.get(todo.pop(), []):
            if report not in seen:  # the gateway prevents loops; a stale copy must not spin
                seen.add(report)
                todo.append(report)
    return seen


def visible_owners(caller: Caller, managers: Mapping[str, str | None]) -> set[str] | None:
    """Whose records the caller sees by the hierarchy; None means everyone's. Admins:
    everyone's; sales managers: their own and everyone's below them (`managers` maps user
    id -> manager id); sales reps: their own; any other role: nobody's."""
    if caller.role == ADMIN:
        return None
    if caller.role == SALES_MANAGER:
        return subtree(caller.user_id, managers)
    if caller.role == SALES_REP:
        return {caller.user_id}
    return set()


def may_see(visible: set[str] | None, owner_id: str | None) -> bool:
    """Whether an owner is among `visible_owners` (None: everyone)."""
    return visible is None or owner_id in visible
