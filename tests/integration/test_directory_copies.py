"""Every service keeps its copy of the user directory with the newest version only."""
import importlib
from importlib.resources import files

import pytest
from sqlalchemy import select
from tandem_plumbing.directory import record_user
from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.migrations import upgrade

TABLES = {"leads": "reps", "sales": "owners", "service_desk": "agents", "forecast": "users", "notify": "recipients"}


def user(version, **changes):
    base = {"id": "u1", "email": "rex@example.com", "name": "Rex", "role": "sales_rep",
            "manager_id": None, "active": True, "version": version}
    return {**base, **changes}


@pytest.mark.parametrize("service", sorted(TABLES))
def test_record_user_keeps_newest_version(service, make_database):
    url = make_database(f"dir_{service}")
    upgrade(files(f"tandem_{service}") / "migrations", url)
    table = importlib.import_module(f"tandem_{service}.adapters.models").metadata.tables[TABLES[service]]
    engine = make_engine(url)
    factory = session_factory(engine)
    try:
        with transaction(factory) as s:
            assert record_user(s, table, user(1))
        with transaction(factory) as s:
            assert record_user(s, table, user(3, manager_id="m1", active=False))
        with transaction(factory) as s:  # late, stale event
            assert not record_user(s, table, user(2, name="Stale"))
        with transaction(factory) as s:  # the same event again
            assert not record_user(s, table, user(3, manager_id="m1", active=False))
        with factory() as s:
            row = s.execute(select(table)).mappings().one()
        assert (row["version"], row["manager_id"], row["active"], row["name"]) == (3, "m1", False, "Rex")
    finally:
        engine.dispose()
