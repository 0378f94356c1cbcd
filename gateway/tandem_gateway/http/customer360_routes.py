"""/api/v1/accounts/{id}/360: one account as every service knows it, composed here.

Sales (the account, contacts, opportunities, activities, child accounts), the service
desk (cases with their referrals) and leads (those converted into the account, and the
open ones at its email domain) are asked in parallel, as the caller, within one
deadline. Sales is the account itself: not found -> 404, down -> 503. The others are
extras: when one fails, does not answer in time or refuses the caller, the rest is
still answered and the part is named in `missing`.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, jsonify
from tandem.leads.v1 import leads_pb2
from tandem.leads.v1.leads_pb2_grpc import LeadsStub
from tandem.sales.v1 import sales_pb2
from tandem.sales.v1.sales_pb2_grpc import SalesStub
from tandem.service_desk.v1 import service_desk_pb2
from tandem.service_desk.v1.service_desk_pb2_grpc import ServiceDeskStub
from tandem_plumbing.grpc_client import ServiceUnavailable
from tandem_plumbing.rpc import RpcFailure

from .activities_routes import activity_json
from .auth import authenticated
from .cases_routes import case_json
from .context import gateway
from .errors import validation_failed
from .leads_routes import lead_json
from .openapi_parts import errors, ok, operation, ref
from .representations import MAX_PAGE_SIZE, known_params
from .sales_routes import SALES, account_json, contact_json, opportunity_json
from .services import ask_as, current_caller

log = logging.getLogger(__name__)

bp = Blueprint("customer360", __name__, url_prefix="/api/v1")

DEADLINE_SECONDS = 2.0  # for the whole composition; each call gets what is left of it
_CLOSED_LEAD_STATUSES = ("converted", "unqualified")
# Shared by every request of the worker process; a request holds at most four threads,
# each for at most the deadline.
_pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="customer360")


class _Asker:
    """Calls to the services behind the gateway, run on the pool as the caller, each with
    the time left until the one deadline."""

    def __init__(self) -> None:
        self.caller, self.addrs = current_caller(), gateway().config.service_addrs
        self.ends = time.monotonic() + DEADLINE_SECONDS

    def left(self) -> float:
        return max(self.ends - time.monotonic(), 0.01)

    def submit(self, service: str, stub: type, method: str, message: Any) -> Future:
        return _pool.submit(ask_as, self.caller, self.addrs[service], service, stub, method, message,
                            timeout=self.left())

    def answer(self, service: str, future: Future) -> Any:
        """The call's reply; a pool too busy to start it in time counts as no answer."""
        try:
            return future.result(timeout=self.left() + 0.5)  # the call's own deadline ends it first
        except FutureTimeout:
            raise ServiceUnavailable(service, "no answer within the deadline") from None


def _missing(service: str, exc: Exception) -> dict[str, str]:
    if isinstance(exc, ServiceUnavailable):
        return {"service": service, "reason": "unavailable"}
    if isinstance(exc, RpcFailure) and exc.kind in ("forbidden", "unauthenticated"):
        return {"service": service, "reason": "not_permitted"}
    if isinstance(exc, RpcFailure):
        return {"service": service, "reason": "failed", "code": exc.code}
    log.error("the %s part of a customer 360 failed: %r", service, exc)
    return {"service": service, "reason": "failed"}


@bp.get("/accounts/<account_id>/360")
@authenticated()
def customer_360(account_id: str):
    problems = known_params()
    if problems:
        raise validation_failed(problems)
    asker = _Asker()
    overview_call = asker.submit("sales", SalesStub, "GetAccountOverview",
                                 sales_pb2.GetAccountOverviewRequest(id=account_id))
    cases_call = asker.submit("service_desk", ServiceDeskStub, "ListCases",
                              service_desk_pb2.ListCasesRequest(account_id=account_id, page_size=MAX_PAGE_SIZE))
    # Leads are for sales users only (the service shows others none): say so rather than ask.
    sees_leads = asker.caller.role in SALES
    lead_calls = [asker.submit("leads", LeadsStub, "ListLeads", leads_pb2.ListLeadsRequest(
        account_id=account_id, page_size=MAX_PAGE_SIZE))] if sees_leads else []
    overview = asker.answer("sales", overview_call)  # its failures are the answer: 404, 503, ...
    if sees_leads and overview.account.HasField("domain"):  # known only now; the rest is under way meanwhile
        lead_calls.append(asker.submit("leads", LeadsStub, "ListLeads", leads_pb2.ListLeadsRequest(
            email_domain=overview.account.domain, page_size=MAX_PAGE_SIZE)))

    missing: list[dict[str, str]] = [] if sees_leads else [{"service": "leads", "reason": "not_permitted"}]
    cases: list[dict[str, Any]] = []
    try:
        cases = [case_json(case) for case in asker.answer("service_desk", cases_call).cases]
    except Exception as exc:  # noqa: BLE001 - any failure of an extra part is reported, not raised
        missing.append(_missing("service_desk", exc))
    leads: dict[str, dict[str, Any]] = {}
    for n, call in enumerate(lead_calls):
        try:
            for lead in asker.answer("leads", call).leads:
                if n == 0 or lead.status not in _CLOSED_LEAD_STATUSES:  # by domain: only the open ones
                    leads.setdefault(lead.id, lead_json(lead))
        except Exception as exc:  # noqa: BLE001
            if not any(m["service"] == "leads" for m in missing):
                missing.append(_missing("leads", exc))

    return jsonify({
        "account": account_json(overview.account),
        "contacts": [contact_json(contact) for contact in overview.contacts],
        "opportunities": {"open": [opportunity_json(o) for o in overview.open_opportunities],
                          "closed": [opportunity_json(o) for o in overview.closed_opportunities]},
        "cases": cases,
        "referrals": [referral for case in cases for referral in case["referrals"]],
        "leads": list(leads.values()),
        "activities": [activity_json(activity) for activity in overview.recent_activities],
        "children": [account_json(child) for child in overview.children],
        "missing": missing,
    })


# -- OpenAPI -----------------------------------------------------------------------------------
def _schemas() -> dict[str, Any]:
    def many(name: str) -> dict[str, Any]:
        return {"type": "array", "items": ref("schemas", name)}

    return {
        "Customer360": {
            "type": "object",
            "required": ["account", "contacts", "opportunities", "cases", "referrals", "leads", "activities",
                         "children", "missing"],
            "properties": {
                "account": ref("schemas", "Account"),
                "contacts": many("Contact"),
                "opportunities": {"type": "object", "required": ["open", "closed"],
                                  "properties": {"open": {**many("Opportunity"), "description": "by close date"},
                                                 "closed": {**many("Opportunity"),
                                                            "description": "newest closed first"}}},
                "cases": {**many("Case"), "description": "newest first, at most 200"},
                "referrals": {**many("Referral"), "description": "those of the cases"},
                "leads": {**many("Lead"), "description": "converted into the account, and the open ones whose "
                                                         "email is at the account's domain"},
                "activities": {**many("Activity"), "description": "the 20 most recent, on the account, its contacts "
                                                                 "and its opportunities"},
                "children": {**many("Account"), "description": "accounts whose parent it is"},
                "missing": {"type": "array", "items": {
                    "type": "object", "required": ["service", "reason"],
                    "properties": {"service": {"enum": ["service_desk", "leads"]},
                                   "reason": {"enum": ["unavailable", "not_permitted", "failed"],
                                              "description": "unavailable also when it did not answer in time"},
                                   "code": {"type": "string", "description": "the service's error code (failed)"}}},
                    "description": "the parts left out; their lists are then empty"},
            },
        },
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    account_id = {"name": "account_id", "in": "path", "required": True, "schema": {"type": "string"}}
    paths = {"/api/v1/accounts/{account_id}/360": {
        "parameters": [account_id],
        "get": operation(
            "The customer 360: the account with everything every service knows about it", "customer 360",
            {"200": ok("the account's 360 view", "Customer360"), **errors(400, 401, 404, 503)},
            description=f"Sales, the service desk and leads are asked in parallel, within {DEADLINE_SECONDS:g} s in "
                        "all. 404 when the account does not exist or the caller may not see it; 503 when sales "
                        "does not answer. When the service desk or leads fails, does not answer in time or refuses "
                        "the caller, the rest is answered and `missing` names the part. Leads are shown to sales "
                        "users and admins only: for others `missing` names leads as not_permitted.",
        ),
    }}
    tags = [{"name": "customer 360", "description": "one account as sales, service and leads know it"}]
    return {"tags": tags, "paths": paths, "schemas": _schemas()}
