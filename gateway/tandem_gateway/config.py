"""The gateway's configuration, from the environment (see README.md)."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tandem_plumbing.settings import data_dir, database_url, env, env_float, env_int, grpc_addr

from .identity.security import DEFAULT_AUDIENCE, DEFAULT_ISSUER, load_or_create_secret
from .identity.throttle import LoginLimits, Window

# The services behind the gateway, each reached over gRPC at grpc_addr(name).
SERVICES = ("leads", "sales", "service_desk", "forecast", "notify")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks; a bad one fails start-up."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def login_limits() -> LoginLimits:
    window = env_int("GATEWAY_LOGIN_WINDOW_SECONDS", 300)
    return LoginLimits(
        per_account=Window(env_int("GATEWAY_LOGIN_FAILURES_PER_ACCOUNT", 10), window),
        per_address=Window(env_int("GATEWAY_LOGIN_FAILURES_PER_ADDRESS", 50), window),
    )


def jwt_secret() -> str:
    """`JWT_SECRET`, else one generated once into $CRM_DATA_DIR/jwt-secret and shared
    by every worker and restart."""
    return env("JWT_SECRET") or load_or_create_secret(data_dir() / "jwt-secret")


@dataclass(frozen=True)
class GatewayConfig:
    database_url: str
    jwt_secret: str = field(repr=False)
    token_ttl_seconds: int = 3600
    jwt_issuer: str = DEFAULT_ISSUER
    jwt_audience: str = DEFAULT_AUDIENCE
    service_addrs: dict[str, str] = field(default_factory=dict)
    probe_timeout: float = 1.0  # per gRPC probe; probes run in parallel
    login_limits: LoginLimits = LoginLimits()
    trusted_proxies: tuple[Network, ...] = ()  # peers whose X-Forwarded-For names the client
    max_body_bytes: int = 1024 * 1024
    rate_limit_per_minute: int = 600  # per user and gateway process; 0: off

    @classmethod
    def from_env(cls) -> "GatewayConfig":
        return cls(
            database_url=database_url("gateway"),
            jwt_secret=jwt_secret(),
            token_ttl_seconds=env_int("JWT_TTL_SECONDS", 3600),
            jwt_issuer=env("JWT_ISSUER", DEFAULT_ISSUER),
            jwt_audience=env("JWT_AUDIENCE", DEFAULT_AUDIENCE),
            service_addrs={name: grpc_addr(name) for name in SERVICES},
            probe_timeout=env_float("GATEWAY_PROBE_TIMEOUT", 1.0),
            login_limits=login_limits(),
            trusted_proxies=parse_networks(env("GATEWAY_TRUSTED_PROXIES", "")),
            max_body_bytes=env_int("GATEWAY_MAX_BODY_BYTES", 1024 * 1024),
            rate_limit_per_minute=env_int("GATEWAY_RATE_LIMIT", 600),
        )
