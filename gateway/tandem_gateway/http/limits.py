"""Who the client is (the remote address, or X-Forwarded-For behind a trusted proxy)
and the 429 answer of every rate limit."""
from __future__ import annotations

import ipaddress
from typing import Sequence

from .errors import ApiError

from ..config import Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(remote_addr: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The peer's address, unless the peer is a trusted proxy: then the nearest
    X-Forwarded-For hop that is not one (hops further left are the client's to invent)."""
    address = remote_addr or "unknown"
    if not _trusted(address, proxies):
        return address
    for hop in reversed([hop.strip() for hop in (forwarded_for or "").split(",")]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # a proxy we trust would not have written this: stop at the last good hop
        if not _trusted(address, proxies):
            break
    return address


def too_many(code: str, message: str, retry_after: int) -> ApiError:
    return ApiError(429, code, message, {"retry_after": retry_after}, {"Retry-After": str(retry_after)})
