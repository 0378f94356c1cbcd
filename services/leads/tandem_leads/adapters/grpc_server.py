"""The `tandem.leads.v1.Leads` servicer: translate messages, call a use case, translate back."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import caller_from, rpc_method

from .. import use_cases
from ..domain.leads import ConversionRequest, Lead, Money, Referral, invalid, rfc3339
from .sales import convert_in_sales

_FIELDS = [field.name for field in leads_pb2.LeadFields.DESCRIPTOR.fields]


def _given(message: leads_pb2.LeadFields) -> dict[str, Any]:
    return {name: getattr(message, name) for name in _FIELDS if message.HasField(name)}


def _optional(message_type, **values):
    """A message without the fields whose value is None (unset optional fields)."""
    return message_type(**{name: value for name, value in values.items() if value is not None})


def _referral_message(referral: Referral) -> leads_pb2.Referral:
    value = referral.estimated_value
    return _optional(
        leads_pb2.Referral,
        referral_id=referral.referral_id, case_id=referral.case_id,
        case_number="" if referral.case_number is None else str(referral.case_number),
        agent_id=referral.agent_id, kind=referral.kind, product_interest=referral.product_interest,
        notes=referral.notes, attached_at=rfc3339(referral.attached_at),
        estimated_value=leads_pb2.Money(amount=value.amount, currency=value.currency) if value else None,
    )


def lead_message(lead: Lead) -> leads_pb2.Lead:
    return _optional(
        leads_pb2.Lead,
        **{name: getattr(lead, name) for name in (
            "id", "first_name", "last_name", "email", "company", "title", "phone", "industry", "country",
            "employees", "source", "status", "status_reason", "score", "owner_id", "description", "version",
        )},
        score_factors=[leads_pb2.ScoreFactor(factor=f.factor, points=f.points, reason=f.reason)
                       for f in lead.score_factors],
        referrals=[_referral_message(r) for r in lead.referrals],
        created_at=rfc3339(lead.created_at),
        updated_at=rfc3339(lead.updated_at),
        conversion=_conversion_message(lead.conversion) if lead.conversion else None,
    )


def _conversion_message(conversion) -> leads_pb2.Conversion:
    return _optional(leads_pb2.Conversion, account_id=conversion.account_id, contact_id=conversion.contact_id,
                     opportunity_id=conversion.opportunity_id, converted_at=rfc3339(conversion.converted_at),
                     converted_by=conversion.converted_by)


def _conversion_request(request: leads_pb2.ConvertLeadRequest) -> ConversionRequest:
    given = {name: getattr(request, name) for name in ("account_id", "opportunity_name", "close_date")
             if request.HasField(name)}
    if request.HasField("amount"):
        given["amount"] = Money(request.amount.amount, request.amount.currency)
    return ConversionRequest(**given)


def _setting_message(setting: use_cases.Setting) -> leads_pb2.Setting:
    return _optional(
        leads_pb2.Setting,
        document_json=json.dumps(setting.document), version=setting.version, updated_by=setting.updated_by,
        updated_at=rfc3339(setting.updated_at) if setting.updated_at else None,
    )


def _document(request: leads_pb2.PutSettingRequest) -> Any:
    try:
        return json.loads(request.document_json)
    except ValueError:
        raise invalid({"document": "is not JSON"}) from None


def _version(request) -> int | None:
    return request.expected_version if request.HasField("expected_version") else None


class LeadsServicer(leads_pb2_grpc.LeadsServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    @rpc_method
    def CreateLead(self, request, context):
        caller = caller_from(context)
        with transaction(self.sessions) as session:
            lead = use_cases.create_lead(
                session, caller, _given(request.lead),
                owner_id=request.owner_id if request.HasField("owner_id") else None,
                allow_duplicate=request.allow_duplicate, validate_only=request.validate_only,
            )
        return lead_message(lead) if lead else leads_pb2.Lead()

    @rpc_method
    def GetLead(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            return lead_message(use_cases.get_lead(session, caller, request.id))

    @rpc_method
    def ListLeads(self, request, context):
        caller = caller_from(context)
        filters = {name: getattr(request, name) for name in ("status", "owner_id", "source", "q", "account_id",
                                                             "email_domain") if request.HasField(name)}
        with self.sessions() as session:
            found, token = use_cases.list_leads(session, caller, **filters, page_size=request.page_size,
                                                page_token=request.page_token)
        return leads_pb2.ListLeadsReply(leads=[lead_message(lead) for lead in found], next_page_token=token or "")

    @rpc_method
    def UpdateLead(self, request, context):
        caller = caller_from(context)
        with transaction(self.sessions) as session:
            lead = use_cases.update_lead(
                session, caller, request.id, _given(request.changes), clear=list(request.clear),
                owner_id=request.owner_id if request.HasField("owner_id") else None,
                expected_version=_version(request), validate_only=request.validate_only,
            )
        return lead_message(lead) if lead else leads_pb2.Lead()

    @rpc_method
    def ConvertLead(self, request, context):
        caller = caller_from(context)
        converted = use_cases.convert_lead(self.sessions, caller, request.id, _conversion_request(request),
                                           convert_in_sales, expected_version=_version(request),
                                           validate_only=request.validate_only)
        if converted is None:
            return leads_pb2.ConvertLeadReply()
        conversion = converted.lead.conversion
        return leads_pb2.ConvertLeadReply(
            lead_id=converted.lead.id, account_id=conversion.account_id, contact_id=conversion.contact_id,
            opportunity_id=conversion.opportunity_id, account_created=conversion.account_created,
            replayed=converted.replayed, lead=lead_message(converted.lead),
        )

    @rpc_method
    def GetLeadHistory(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            entries, token = use_cases.lead_history(session, caller, request.id, page_size=request.page_size,
                                                    page_token=request.page_token)
        return leads_pb2.LeadHistoryReply(
            entries=[_optional(leads_pb2.HistoryEntry, seq=e["seq"], at=rfc3339(e["at"]), actor_id=e["actor_id"],
                               action=e["action"], changes_json=json.dumps(e["changes"]), note=e["note"],
                               correlation_id=e["correlation_id"]) for e in entries],
            next_page_token=token or "",
        )

    @rpc_method
    def GetScoringWeights(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            return _setting_message(use_cases.scoring_weights(session, caller))

    @rpc_method
    def PutScoringWeights(self, request, context):
        caller = caller_from(context)
        document = _document(request)
        with transaction(self.sessions) as session:
            setting = use_cases.put_scoring_weights(session, caller, document, expected_version=_version(request))
        return _setting_message(setting)

    @rpc_method
    def GetAssignmentRules(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            return _setting_message(use_cases.assignment_rules(session, caller))

    @rpc_method
    def PutAssignmentRules(self, request, context):
        caller = caller_from(context)
        document = _document(request)
        with transaction(self.sessions) as session:
            setting = use_cases.put_assignment_rules(session, caller, document, expected_version=_version(request))
        return _setting_message(setting)


def register(server, engine: Engine) -> list[str]:
    leads_pb2_grpc.add_LeadsServicer_to_server(LeadsServicer(engine), server)
    return [leads_pb2.DESCRIPTOR.services_by_name["Leads"].full_name]
