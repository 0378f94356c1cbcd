"""Every opportunity, for another service to fill its own copy (Sales/StreamOpportunities).

Read in pages by id, one short transaction per page: a stream of 100,000 opportunities
holds no transaction open, and each id is sent once, at the version it had when its page
was read. A change made meanwhile is not lost to the reader: its event follows.
"""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.failures import Caller, Failure

from ..domain.access import ADMIN
from ..domain.opportunities import Opportunity
from .models import opportunities
from .repository import _opportunities, account_names

SERVICE = "service"  # another Tandem service reading on its own behalf (the forecast backfill)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 500, 5000


def page_size(requested: int) -> int:
    if requested < 0 or requested > MAX_PAGE_SIZE:
        raise Failure("invalid", "validation_failed", "the request has invalid fields",
                      {"fields": {"page_size": f"must be between 0 (the default, {DEFAULT_PAGE_SIZE}) "
                                               f"and {MAX_PAGE_SIZE}"}})
    return requested or DEFAULT_PAGE_SIZE


def check_may_stream(caller: Caller) -> None:
    if caller.role not in (ADMIN, SERVICE):
        raise Failure("forbidden", "forbidden", "streaming every opportunity needs the role admin or service")


def _page(session: Session, after: str | None, limit: int) -> list[tuple[Opportunity, str]]:
    query = select(opportunities).order_by(opportunities.c.id).limit(limit)
    if after is not None:
        query = query.where(opportunities.c.id > after)
    found = _opportunities(session, session.execute(query).mappings().all())
    names = account_names(session, (o.account_id for o in found))
    return [(o, names[o.account_id]) for o in found]


def all_opportunities(sessions: sessionmaker, limit: int) -> Iterator[tuple[Opportunity, str]]:
    """(opportunity, its account's name) for every opportunity, by id."""
    after = None
    while True:
        with sessions() as session:
            page = _page(session, after, limit)
        yield from page
        if len(page) < limit:
            return
        after = page[-1][0].id
