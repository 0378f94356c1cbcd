"""The `tandem.common.v1.Ops` servicer every service registers beside its own."""
from __future__ import annotations

from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session
from tandem.common.v1 import ops_pb2, ops_pb2_grpc

from .envelope import utcnow_rfc3339
from .migrations import current_revision
from .outbox import PENDING, UNROUTABLE, backlog


class OpsServicer(ops_pb2_grpc.OpsServicer):
    def __init__(self, service: str, version: str, engine: Engine, metadata: MetaData) -> None:
        self.service, self.version, self.engine = service, version, engine
        self.outbox = metadata.tables["outbox"]
        self.started_at = utcnow_rfc3339()

    def Status(self, request, context):
        with Session(self.engine) as session:
            counts = backlog(session, self.outbox)
        return ops_pb2.StatusReply(
            service=self.service,
            version=self.version,
            schema_revision=current_revision(self.engine),
            outbox_pending=counts[PENDING],
            outbox_unroutable=counts[UNROUTABLE],
            started_at=self.started_at,
        )


def add_ops(server, service: str, version: str, engine: Engine, metadata: MetaData) -> str:
    ops_pb2_grpc.add_OpsServicer_to_server(OpsServicer(service, version, engine, metadata), server)
    return ops_pb2.DESCRIPTOR.services_by_name["Ops"].full_name
