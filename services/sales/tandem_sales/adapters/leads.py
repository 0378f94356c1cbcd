"""Asking the leads service whether a caller may see a lead (Leads/GetLead over gRPC, as
the caller): leads alone knows who may. Only the gRPC server process imports this: the
events process never imports grpc."""
from __future__ import annotations

from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import caller_metadata
from tandem_plumbing.settings import grpc_addr


def see_lead(caller: Caller, lead_id: str) -> None:
    """Returns when the caller may see the lead; leads' Failure (not_found) when not;
    ServiceUnavailable when leads (at LEADS_GRPC_ADDR) does not answer."""
    stub = leads_pb2_grpc.LeadsStub(channel(grpc_addr("leads")))
    call("leads", stub.GetLead, leads_pb2.GetLeadRequest(id=lead_id), metadata=caller_metadata(caller))
