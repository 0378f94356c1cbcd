"""Why a use case said no, and who asked: plain Python, importable anywhere (the
events processes must never import grpc). `rpc.py` carries both across gRPC."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# kind -> HTTP status the gateway answers with
KIND_HTTP = {
    "invalid": 400,  # details.fields names each bad field
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,  # also for records the caller may not see
    "conflict": 409,
    "stale": 412,  # the expected version is not the current one
    "rule": 422,  # a business rule said no
}


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    request_id: str = ""


@dataclass
class Failure(Exception):
    kind: str  # a key of KINDS
    code: str  # snake_case, e.g. "duplicate_lead"
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KIND_HTTP:
            raise ValueError(f"unknown failure kind {self.kind!r}")
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return KIND_HTTP[self.kind]

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "code": self.code, "message": self.message, "details": self.details})

    @classmethod
    def from_json(cls, raw: str) -> "Failure | None":
        try:
            body = json.loads(raw)
            return cls(body["kind"], body["code"], body["message"], body.get("details") or {})
        except (ValueError, KeyError, TypeError):
            return None


class ServiceUnavailable(Exception):
    """A service that was asked did not answer in time (down, draining, too slow)."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service} is unavailable: {detail}")
        self.service = service
        self.detail = detail
