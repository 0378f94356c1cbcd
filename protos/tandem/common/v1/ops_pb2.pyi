from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StatusReply(_message.Message):
    __slots__ = ("service", "version", "schema_revision", "outbox_pending", "outbox_unroutable", "started_at")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_REVISION_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_PENDING_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_UNROUTABLE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    service: str
    version: str
    schema_revision: str
    outbox_pending: int
    outbox_unroutable: int
    started_at: str
    def __init__(self, service: _Optional[str] = ..., version: _Optional[str] = ..., schema_revision: _Optional[str] = ..., outbox_pending: _Optional[int] = ..., outbox_unroutable: _Optional[int] = ..., started_at: _Optional[str] = ...) -> None: ...
