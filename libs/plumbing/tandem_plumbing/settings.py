"""Configuration from the environment, the same way for every service.

| variable | default |
|---|---|
| `CRM_DATA_DIR` | `./data`: where the embedded SQLite databases live |
| `<SERVICE>_DATABASE_URL` | `sqlite:///$CRM_DATA_DIR/<service>.db` |
| `AMQP_URI` | `amqp://guest:guest@127.0.0.1:5672/` (vhost included) |
| `<SERVICE>_GRPC_PORT` | the service's default port below |
| `<SERVICE>_GRPC_ADDR` | `127.0.0.1:<port>`: where clients find it |
| `SERVICE_TOKEN` | unset: gRPC calls unauthenticated; set (>= 32 chars): required on every call (service_auth.py) |
| `<SERVICE>_<ROLE>_METRICS_PORT`, `METRICS_PORT` | unset: no `/metrics`; the first one set is this process's (telemetry.py) |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# One fixed port per service so that a developer machine needs no discovery.
DEFAULT_GRPC_PORTS = {
    "leads": 50051,
    "sales": 50052,
    "service_desk": 50053,
    "forecast": 50054,
    "notify": 50055,
}


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    return float(env(name, str(default)))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def data_dir() -> Path:
    return Path(env("CRM_DATA_DIR", "data")).resolve()


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def database_url(service: str) -> str:
    default = f"sqlite:///{data_dir() / (service + '.db')}"
    return env(f"{service.upper()}_DATABASE_URL", default)


def grpc_port(service: str) -> int:
    return env_int(f"{service.upper()}_GRPC_PORT", DEFAULT_GRPC_PORTS[service])


def metrics_port(service: str, role: str) -> int | None:
    """Where this process serves /metrics: `LEADS_EVENTS_METRICS_PORT` before `METRICS_PORT`
    (one environment for several processes, as under make run, needs the first)."""
    value = env(f"{service.upper()}_{role.upper()}_METRICS_PORT", env("METRICS_PORT"))
    return int(value) if value is not None else None


def grpc_addr(service: str) -> str:
    return env(f"{service.upper()}_GRPC_ADDR", f"127.0.0.1:{grpc_port(service)}")


@dataclass(frozen=True)
class Settings:
    """What one service's processes need to know about their surroundings."""

    service: str
    database_url: str
    amqp_uri: str

    @classmethod
    def from_env(cls, service: str) -> "Settings":
        return cls(service=service, database_url=database_url(service), amqp_uri=amqp_uri())
