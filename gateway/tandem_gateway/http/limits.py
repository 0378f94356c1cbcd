"""Who the client is (the remote address, or X-Forwarded-For behind a trusted proxy),
the per-user API rate limit, and the 429 answer of every rate limit."""
from __future__ import annotations

import ipaddress
import math
import threading
import time
from typing import Callable, Sequence

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


class TokenBuckets:
    """A rate limit (the per-user API one, the web form's per address): a token bucket
    per key in this process's memory, holding up to `limit` requests and refilled at
    `limit` every `seconds`.

    Per process on purpose: a shared counter would add a database write to every
    request. The price: under N gunicorn workers (times the gateway instances) a user
    may get up to N times the limit, so the limit is a guard against runaway clients,
    not a quota. `limit` <= 0 turns it off."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic, *, seconds: float = 60) -> None:
        self._capacity = float(limit)
        self._rate = limit / seconds  # tokens a second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> int | None:
        """Spend one token for `key`: None when there was one, else whole seconds until there is."""
        if self._capacity <= 0:
            return None
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - then) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self._rate))
