"""Sales/StreamOpportunities as OpportunitySnapshots (the shape of sales' events), for
the backfill."""
from __future__ import annotations

from typing import Any, Iterator

import grpc
from tandem.sales.v1 import sales_pb2, sales_pb2_grpc
from tandem_plumbing.failures import Caller, ServiceUnavailable
from tandem_plumbing.grpc_client import UNAVAILABLE_CODES, channel
from tandem_plumbing.rpc import caller_metadata, failure_from_rpc_error

# The forecast service reads on its own behalf; sales lets the role "service" stream.
CALLER = Caller(user_id="forecast", role="service", request_id="forecast-backfill")
_OPTIONAL = ("amount", "close_date", "lead_id", "primary_contact_id", "loss_reason", "closed_at")


def snapshot(message: sales_pb2.Opportunity) -> dict[str, Any]:
    """The catalogue's OpportunitySnapshot of a streamed opportunity."""
    return {
        **{name: getattr(message, name) for name in (
            "id", "version", "name", "account_id", "account_name", "owner_id", "currency", "stage", "probability",
            "forecast_category", "forecast_category_overridden", "is_closed", "is_won", "created_at",
            "updated_at")},
        **{name: getattr(message, name) if message.HasField(name) else None for name in _OPTIONAL},
        "referrals": [{field.name: getattr(r, field.name) or None for field in r.DESCRIPTOR.fields}
                      for r in message.referrals],
        "line_item_count": len(message.line_items),
    }


def opportunity_snapshots(addr: str, timeout: float, page_size: int = 0) -> Iterator[dict[str, Any]]:
    """Every opportunity sales has, by id. Sales down -> ServiceUnavailable (also midway:
    the backfill then runs again, harmlessly); a refusal -> its Failure."""
    stub = sales_pb2_grpc.SalesStub(channel(addr))
    request = sales_pb2.StreamOpportunitiesRequest(page_size=page_size)
    try:
        for message in stub.StreamOpportunities(request, timeout=timeout, metadata=caller_metadata(CALLER)):
            yield snapshot(message)
    except grpc.RpcError as exc:
        if exc.code() in UNAVAILABLE_CODES:
            raise ServiceUnavailable("sales", exc.details() or exc.code().name) from None
        raise failure_from_rpc_error(exc) or exc from None
