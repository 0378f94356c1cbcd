"""The `tandem.service_desk.v1.ServiceDesk` gRPC API: each method reads the caller, calls
one use case in one transaction and translates proto <-> domain (a domain Failure
reaches the gateway through rpc_method)."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import Engine
from tandem.service_desk.v1 import service_desk_pb2 as pb
from tandem.service_desk.v1 import service_desk_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import caller_from, rpc_method

from .. import use_cases
from ..domain.cases import Comment, HistoryEntry
from ..domain.common import Actor, rfc3339
from ..domain.referrals import Referral
from ..domain.sla import SlaPolicy

UPDATABLE = ("subject", "description", "status", "priority", "origin", "account_id", "owner_id")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _actor(context) -> Actor:
    caller = caller_from(context)
    return Actor(caller.user_id, caller.role)


def _optional(message, names) -> dict[str, Any]:
    return {name: getattr(message, name) for name in names if message.HasField(name)}


def _contact_in(contact: pb.Contact) -> dict[str, Any]:
    return {"name": contact.name, "email": contact.email, **_optional(contact, ("phone", "company"))}


def _money_in(money: pb.Money) -> dict[str, Any]:
    return {"amount": money.amount, "currency": money.currency}


def _maybe_time(moment: datetime | None) -> str | None:
    return rfc3339(moment) if moment is not None else None


def referral_pb(referral: Referral) -> pb.Referral:
    value = referral.estimated_value
    return pb.Referral(
        id=referral.id, case_id=referral.case_id, agent_id=referral.agent_id, kind=referral.kind,
        status=referral.status, lead_id=referral.lead_id, assignee_id=referral.assignee_id,
        product_interest=referral.product_interest, notes=referral.notes,
        estimated_value=pb.Money(**value.to_dict()) if value else None, reason=referral.reason,
        created_at=rfc3339(referral.created_at), updated_at=rfc3339(referral.updated_at), version=referral.version,
        opportunity_id=referral.opportunity_id,
        outcome_amount=pb.Money(**referral.outcome_amount.to_dict()) if referral.outcome_amount else None,
    )


def case_pb(view: use_cases.CaseView) -> pb.Case:
    case, state = view.case, view.sla
    return pb.Case(
        id=case.id, number=case.display_number, subject=case.subject, description=case.description,
        status=case.status, priority=case.priority, origin=case.origin, account_id=case.account_id,
        contact=pb.Contact(**case.contact.to_dict()) if case.contact else None,
        owner_id=case.owner_id,
        sla=pb.Sla(
            first_response_due=rfc3339(case.first_response_due), resolution_due=rfc3339(case.resolution_due),
            first_responded_at=_maybe_time(case.first_responded_at), resolved_at=_maybe_time(case.resolved_at),
            first_response_breached=state.first_response_breached, resolution_breached=state.resolution_breached,
            at_risk=state.at_risk,
        ),
        created_at=rfc3339(case.created_at), updated_at=rfc3339(case.updated_at), version=case.version,
        referrals=[referral_pb(referral) for referral in view.referrals],
    )


def comment_pb(comment: Comment) -> pb.Comment:
    return pb.Comment(id=comment.id, case_id=comment.case_id, author_id=comment.author_id, body=comment.body,
                      internal=comment.internal, created_at=rfc3339(comment.created_at))


def history_pb(entry: HistoryEntry) -> pb.HistoryEntry:
    return pb.HistoryEntry(at=rfc3339(entry.at), actor_id=entry.actor_id, field=entry.field,
                           from_json=entry.from_json, to_json=entry.to_json)


class ServiceDeskServicer(service_desk_pb2_grpc.ServiceDeskServicer):
    def __init__(self, engine: Engine, policy: SlaPolicy, clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = session_factory(engine)
        self.policy, self.clock = policy, clock

    @rpc_method
    def CreateCase(self, request, context):
        values = {"subject": request.subject, "priority": request.priority, "origin": request.origin,
                  **_optional(request, ("description", "account_id", "owner_id"))}
        if request.HasField("contact"):
            values["contact"] = _contact_in(request.contact)
        with transaction(self.sessions) as session:
            view = use_cases.create_case(session, _actor(context), values, now=self.clock(), policy=self.policy)
        return case_pb(view)

    @rpc_method
    def GetCase(self, request, context):
        actor = _actor(context)
        with self.sessions() as session:
            return case_pb(use_cases.get_case(session, actor, request.id, now=self.clock(), policy=self.policy))

    @rpc_method
    def ListCases(self, request, context):
        actor = _actor(context)
        filters = _optional(request, ("status", "owner_id", "account_id", "q"))
        with self.sessions() as session:
            views, token = use_cases.list_cases(session, actor, **filters, page_size=request.page_size,
                                                page_token=request.page_token, now=self.clock(), policy=self.policy)
        return pb.ListCasesReply(cases=[case_pb(view) for view in views], next_page_token=token)

    @rpc_method
    def UpdateCase(self, request, context):
        values = _optional(request, UPDATABLE)
        if request.HasField("contact"):
            values["contact"] = _contact_in(request.contact)
        values.update(dict.fromkeys(request.cleared))  # None: set to null
        expected = request.expected_version if request.HasField("expected_version") else None
        with transaction(self.sessions) as session:
            view = use_cases.update_case(session, _actor(context), request.id, values, expected_version=expected,
                                         now=self.clock(), policy=self.policy)
        return case_pb(view)

    @rpc_method
    def AddComment(self, request, context):
        values = {"body": request.body, "internal": request.internal}
        with transaction(self.sessions) as session:
            comment = use_cases.add_comment(session, _actor(context), request.case_id, values, now=self.clock())
        return comment_pb(comment)

    @rpc_method
    def ListComments(self, request, context):
        actor = _actor(context)
        with self.sessions() as session:
            comments, token = use_cases.list_comments(session, actor, request.case_id, page_size=request.page_size,
                                                      page_token=request.page_token)
        return pb.ListCommentsReply(comments=[comment_pb(c) for c in comments], next_page_token=token)

    @rpc_method
    def ListHistory(self, request, context):
        actor = _actor(context)
        with self.sessions() as session:
            entries, token = use_cases.list_history(session, actor, request.case_id, page_size=request.page_size,
                                                    page_token=request.page_token)
        return pb.ListHistoryReply(entries=[history_pb(e) for e in entries], next_page_token=token)

    @rpc_method
    def SubmitReferral(self, request, context):
        caller = caller_from(context)
        values = {"kind": request.kind, "product_interest": request.product_interest,
                  **_optional(request, ("notes",))}
        if request.HasField("estimated_value"):
            values["estimated_value"] = _money_in(request.estimated_value)
        with transaction(self.sessions) as session:
            referral = use_cases.submit_referral(session, Actor(caller.user_id, caller.role), request.case_id,
                                                 values, now=self.clock(), correlation_id=caller.request_id)
        return referral_pb(referral)

    @rpc_method
    def ListReferrals(self, request, context):
        actor = _actor(context)
        with self.sessions() as session:
            found = use_cases.list_referrals(session, actor, request.case_id)
        return pb.ListReferralsReply(referrals=[referral_pb(r) for r in found])


def register(server, engine: Engine) -> list[str]:
    """Add the ServiceDesk servicer (SLA policy from the environment) to `server`."""
    service_desk_pb2_grpc.add_ServiceDeskServicer_to_server(
        ServiceDeskServicer(engine, SlaPolicy.from_env(os.environ)), server)
    return [pb.DESCRIPTOR.services_by_name["ServiceDesk"].full_name]
