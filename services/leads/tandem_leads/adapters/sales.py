"""Asking the sales service to convert a lead (Sales/ConvertLead over gRPC, as the
caller). Only the gRPC server process imports this: the events process never
imports grpc."""
from __future__ import annotations

from tandem.sales.v1 import sales_pb2, sales_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import caller_metadata
from tandem_plumbing.settings import grpc_addr

from ..domain.leads import ConversionRequest, Lead
from ..use_cases import SalesRecords


def _request(lead: Lead, asked: ConversionRequest) -> sales_pb2.ConvertLeadRequest:
    given = {name: getattr(lead, name) for name in (
        "email", "phone", "title", "industry", "country", "employees") if getattr(lead, name) is not None}
    message = sales_pb2.ConvertLeadRequest(
        lead_id=lead.id, first_name=lead.first_name, last_name=lead.last_name, company=lead.company, **given,
        referrals=[sales_pb2.ReferralRef(
            referral_id=r.referral_id, case_id=r.case_id,
            case_number="" if r.case_number is None else str(r.case_number), agent_id=r.agent_id, kind=r.kind,
            product_interest=r.product_interest) for r in lead.referrals],
    )
    if lead.owner_id is not None:
        message.lead_owner_id = lead.owner_id
    for name in ("account_id", "opportunity_name", "close_date"):
        if getattr(asked, name) is not None:
            setattr(message, name, getattr(asked, name))
    if asked.amount is not None:
        message.amount.CopyFrom(sales_pb2.Money(amount=asked.amount.amount, currency=asked.amount.currency))
    return message


def convert_in_sales(caller: Caller, lead: Lead, asked: ConversionRequest) -> SalesRecords:
    """The ids sales made or found for the lead; ServiceUnavailable when sales does
    not answer, its Failure when it refuses."""
    stub = sales_pb2_grpc.SalesStub(channel(grpc_addr("sales")))
    reply = call("sales", stub.ConvertLead, _request(lead, asked), metadata=caller_metadata(caller))
    return SalesRecords(account_id=reply.account_id, contact_id=reply.contact_id,
                        opportunity_id=reply.opportunity_id, account_created=reply.account_created)
