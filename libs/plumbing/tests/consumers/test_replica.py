"""upsert_if_newer: a stale or repeated version never overwrites a newer copy."""
import eventlet
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.replica import upsert_if_newer

metadata = MetaData()
copies = Table("copies", metadata, Column("id", String(64), primary_key=True), Column("name", String(100)),
               Column("version", Integer, nullable=False))


@pytest.fixture(params=["postgresql", "sqlite"])
def factory(request, make_database, tmp_path):
    url = make_database("replica") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'replica.db'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


def upsert(factory, version, name):
    with transaction(factory) as session:
        return upsert_if_newer(session, copies, {"id": "u1", "name": name, "version": version})


def current(factory):
    with factory() as session:
        return tuple(session.execute(select(copies.c.name, copies.c.version)).one())


def test_versions_out_of_order_and_repeated(factory, capsys):
    results = [upsert(factory, 2, "v2"), upsert(factory, 1, "v1 (late)"), upsert(factory, 2, "v2 again")]
    after_stale = current(factory)
    results.append(upsert(factory, 3, "v3"))
    with capsys.disabled():
        print(f"\n[replica {factory.kw['bind'].dialect.name}] written (v2, v1, v2, v3) = {results}; "
              f"after v1: {after_stale}; final: {current(factory)}")
    assert results == [True, False, False, True]
    assert after_stale == ("v2", 2)
    assert current(factory) == ("v3", 3)


def test_concurrent_versions_keep_the_newest(make_database, capsys):
    """v3 and v2 in flight together (v3 commits first): v2 must not win.

    With read-then-update, v2's transaction reads version 1, waits for v3's row lock,
    then overwrites v3."""
    engine = make_engine(make_database("replica_race"))
    metadata.create_all(engine)
    factory = session_factory(engine)
    upsert(factory, 1, "v1")
    first = factory()
    first.begin()
    assert upsert_if_newer(first, copies, {"id": "u1", "name": "v3", "version": 3})  # holds the row lock
    second = eventlet.spawn(upsert, factory, 2, "v2")  # blocks on the row
    eventlet.sleep(0.3)
    first.commit()
    first.close()
    second_written = second.wait()
    final = current(factory)
    engine.dispose()
    with capsys.disabled():
        print(f"\n[replica race] v2 written={second_written}; final={final}")
    assert final == ("v3", 3)
    assert second_written is False
