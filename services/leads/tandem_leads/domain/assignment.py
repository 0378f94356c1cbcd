"""Who gets a lead: ordered rules, a default, per-rep capacity.

The rules document (`PUT /api/v1/lead-assignment-rules`):

    {"rules": [{"name": "DACH enterprise",
                "criteria": {"country": ["DE", "AT", "CH"], "employees_min": 1000},
                "assign_to": {"queue": ["u1", "u2"], "strategy": "round_robin"}}, ...],
     "default": {"role": "sales_rep", "strategy": "round_robin"},
     "capacity": {"default": 50, "per_user": {"u1": 80}}}

- criteria (all optional; all given must hold; none matches every lead): `country`,
  `industry`, `source` (lists, case-insensitive), `employees_min`, `employees_max`
  (a lead whose size is unknown does not match them), `score_min`.
- assign_to: `{"user_id"}`, `{"queue": [user ids], "strategy"}` or `{"role":
  "sales_rep"|"sales_manager", "strategy"}` (every active user of that role, in id
  order); strategy `round_robin` (the next after the last one given a lead by this
  rule) or `least_loaded` (fewest open leads; ties go to the first in the queue).
- The first rule that matches wins. If its target has nobody eligible (inactive, not
  a sales user, or at capacity), the default is tried; if nobody is eligible there
  either, or the default is null (absent), the lead stays unassigned.
- capacity: the most open leads a user may own (`default` for everyone, `per_user`
  overrides; null = unlimited). Only assignment by rules honours it; a person who
  assigns a lead by hand decides for themselves.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .leads import SOURCES, invalid

ROUND_ROBIN, LEAST_LOADED = "round_robin", "least_loaded"
STRATEGIES = (ROUND_ROBIN, LEAST_LOADED)
ASSIGNABLE_ROLES = ("sales_rep", "sales_manager", "admin")  # who may own leads
QUEUE_ROLES = ("sales_rep", "sales_manager")
CRITERIA = ("country", "industry", "source", "employees_min", "employees_max", "score_min")
MAX_RULES, MAX_QUEUE = 200, 500
DEFAULT_KEY = "default"  # the round-robin pointer of the default target

# What a fresh install does: every lead goes round-robin to the active sales reps.
DEFAULT_RULES: dict[str, Any] = {
    "rules": [],
    "default": {"role": "sales_rep", "strategy": ROUND_ROBIN},
    "capacity": {"default": None, "per_user": {}},
}


@dataclass(frozen=True)
class Rep:
    """A user as the directory copy knows them."""

    id: str
    role: str
    active: bool
    manager_id: str | None = None

    @property
    def may_own_leads(self) -> bool:
        return self.active and self.role in ASSIGNABLE_ROLES


# -- the document ------------------------------------------------------------------------
def _id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value) and len(set(value)) == len(value)


def _check_target(target: Any, path: str, problems: dict[str, str]) -> None:
    if not isinstance(target, dict):
        problems[path] = 'must be {"user_id"}, {"queue", "strategy"} or {"role", "strategy"}'
        return
    kinds = [k for k in ("user_id", "queue", "role") if k in target]
    if len(kinds) != 1:
        problems[path] = "must name exactly one of user_id, queue, role"
        return
    kind = kinds[0]
    allowed = ("user_id",) if kind == "user_id" else (kind, "strategy")
    for key in target:
        if key not in allowed:
            problems[f"{path}.{key}"] = "unknown field"
    if kind == "user_id" and (not isinstance(target["user_id"], str) or not target["user_id"]):
        problems[f"{path}.user_id"] = "must be a user id"
    if kind == "queue" and (not _id_list(target["queue"]) or not 1 <= len(target["queue"]) <= MAX_QUEUE):
        problems[f"{path}.queue"] = f"must be a list of 1 to {MAX_QUEUE} different user ids"
    if kind == "role" and target["role"] not in QUEUE_ROLES:
        problems[f"{path}.role"] = f"must be one of {', '.join(QUEUE_ROLES)}"
    if kind != "user_id" and target.get("strategy") not in STRATEGIES:
        problems[f"{path}.strategy"] = f"must be one of {', '.join(STRATEGIES)}"


def _check_criteria(criteria: Any, path: str, problems: dict[str, str]) -> None:
    if not isinstance(criteria, dict):
        problems[path] = "must be an object (empty matches every lead)"
        return
    for key, value in criteria.items():
        where = f"{path}.{key}"
        if key not in CRITERIA:
            problems[where] = "unknown field"
        elif key in ("country", "industry", "source"):
            if not _id_list(value) or not value:
                problems[where] = "must be a non-empty list of different strings"
            elif key == "source" and any(v not in SOURCES for v in value):
                problems[where] = f"each must be one of {', '.join(SOURCES)}"
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems[where] = "must be a whole number, 0 or more"
    low, high = criteria.get("employees_min"), criteria.get("employees_max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems[f"{path}.employees_max"] = "must not be below employees_min"


def _check_capacity(capacity: Any, problems: dict[str, str]) -> None:
    def limit(value: Any) -> bool:
        return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)

    if not isinstance(capacity, dict):
        problems["capacity"] = 'must be {"default": N or null, "per_user": {user id: N}}'
        return
    for key in capacity:
        if key not in ("default", "per_user"):
            problems[f"capacity.{key}"] = "unknown field"
    if not limit(capacity.get("default")):
        problems["capacity.default"] = "must be a whole number of open leads, or null for no limit"
    per_user = capacity.get("per_user", {})
    if not isinstance(per_user, dict):
        problems["capacity.per_user"] = "must be an object of user id -> limit"
        return
    for user_id, value in per_user.items():
        if not limit(value):
            problems[f"capacity.per_user.{user_id}"] = "must be a whole number of open leads, or null for no limit"


def validate_rules(document: Any) -> dict[str, Any]:
    """The rules document, checked; `default` and `capacity` may be left out (no
    default: unassigned; no capacity limits)."""
    if not isinstance(document, dict):
        raise invalid({"document": "must be an object"})
    problems = {key: "unknown field" for key in document if key not in DEFAULT_RULES}
    rules = document.get("rules")
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        problems["rules"] = f"is required: a list of at most {MAX_RULES} rules"
        rules = []
    names = set()
    for i, rule in enumerate(rules):
        path = f"rules[{i}]"
        if not isinstance(rule, dict):
            problems[path] = 'must be {"name", "criteria", "assign_to"}'
            continue
        for key in rule:
            if key not in ("name", "criteria", "assign_to"):
                problems[f"{path}.{key}"] = "unknown field"
        name = rule.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems[f"{path}.name"] = "is required: 1 to 200 characters"
        elif name in names:
            problems[f"{path}.name"] = "another rule has this name"
        names.add(name)
        _check_criteria(rule.get("criteria", {}), f"{path}.criteria", problems)
        _check_target(rule.get("assign_to"), f"{path}.assign_to", problems)
    if document.get("default") is not None:
        _check_target(document["default"], "default", problems)
    if "capacity" in document:
        _check_capacity(document["capacity"], problems)
    if problems:
        raise invalid(problems, "the assignment rules are invalid")
    return {
        "rules": copy.deepcopy(rules),
        "default": copy.deepcopy(document.get("default")),
        "capacity": {"default": None, "per_user": {}, **copy.deepcopy(document.get("capacity") or {})},
    }


def named_users(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path, user id) of every user the document names, to check they exist."""
    named = []
    targets = [(f"rules[{i}].assign_to", r["assign_to"]) for i, r in enumerate(document["rules"])]
    if document["default"] is not None:
        targets.append(("default", document["default"]))
    for path, target in targets:
        if "user_id" in target:
            named.append((f"{path}.user_id", target["user_id"]))
        for j, user_id in enumerate(target.get("queue", [])):
            named.append((f"{path}.queue[{j}]", user_id))
    named += [(f"capacity.per_user.{u}", u) for u in document["capacity"]["per_user"]]
    return named


def check_named_users(document: Mapping[str, Any], directory: Mapping[str, Rep]) -> None:
    """Every user named must be known and able to own leads (inactive ones are allowed:
    they are skipped until they are active again)."""
    problems = {}
    for path, user_id in named_users(document):
        rep = directory.get(user_id)
        if rep is None:
            problems[path] = "no such user"
        elif rep.role not in ASSIGNABLE_ROLES:
            problems[path] = f"a {rep.role} cannot own leads"
    if problems:
        raise invalid(problems, "the assignment rules name users who cannot own leads")


# -- matching and choosing ---------------------------------------------------------------
def matches(criteria: Mapping[str, Any], lead: Mapping[str, Any]) -> bool:
    for key in ("country", "industry", "source"):
        if key in criteria:
            if not lead.get(key) or lead[key].casefold() not in {v.casefold() for v in criteria[key]}:
                return False
    employees = lead.get("employees")
    if "employees_min" in criteria and (employees is None or employees < criteria["employees_min"]):
        return False
    if "employees_max" in criteria and (employees is None or employees > criteria["employees_max"]):
        return False
    return "score_min" not in criteria or lead["score"] >= criteria["score_min"]


def targets(document: Mapping[str, Any], lead: Mapping[str, Any]) -> list[tuple[str, str, dict]]:
    """(pointer key, why, target) to try in order: the first matching rule, then the default."""
    tried = []
    for rule in document["rules"]:
        if matches(rule.get("criteria", {}), lead):
            tried.append((f"rule:{rule['name']}", f"rule {rule['name']}", rule["assign_to"]))
            break
    if document["default"] is not None:
        tried.append((DEFAULT_KEY, "the default", document["default"]))
    return tried


def candidates(target: Mapping[str, Any], directory: Mapping[str, Rep]) -> list[str]:
    """The target's users, in the order the strategy walks them."""
    if "user_id" in target:
        return [target["user_id"]]
    if "queue" in target:
        return list(target["queue"])
    return sorted(r.id for r in directory.values() if r.role == target["role"] and r.active)


def capacity_of(document: Mapping[str, Any], user_id: str) -> int | None:
    per_user = document["capacity"]["per_user"]
    return per_user[user_id] if user_id in per_user else document["capacity"]["default"]


def choose(
    target: Mapping[str, Any],
    queue: Sequence[str],
    eligible: Sequence[str],
    open_leads: Mapping[str, int],
    last_given: str | None,
) -> str | None:
    """The user of `queue` who gets the lead; `eligible` are those who may take one now."""
    eligible = set(eligible)
    allowed = [u for u in queue if u in eligible]
    if not allowed:
        return None
    if target.get("strategy") == LEAST_LOADED:
        return min(allowed, key=lambda u: (open_leads.get(u, 0), queue.index(u)))
    if target.get("strategy") == ROUND_ROBIN and last_given in queue:
        start = queue.index(last_given) + 1
        for user_id in [*queue[start:], *queue[:start]]:
            if user_id in allowed:
                return user_id
    return allowed[0]


def eligible(queue: Sequence[str], directory: Mapping[str, Rep], open_leads: Mapping[str, int],
             document: Mapping[str, Any]) -> list[str]:
    """Who of `queue` may take a lead now: active sales users below their capacity."""
    result = []
    for user_id in queue:
        rep = directory.get(user_id)
        limit = capacity_of(document, user_id)
        if rep is not None and rep.may_own_leads and (limit is None or open_leads.get(user_id, 0) < limit):
            result.append(user_id)
    return result
