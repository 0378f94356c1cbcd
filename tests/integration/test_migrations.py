"""Every service's migrations build the schema its models describe, on PostgreSQL and SQLite."""
import importlib
from importlib.resources import files

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from tandem_plumbing.db import make_engine
from tandem_plumbing.migrations import current_revision, upgrade

PACKAGES = ["tandem_leads", "tandem_sales", "tandem_service_desk", "tandem_forecast", "tandem_notify", "tandem_gateway"]


def _metadata(package: str):
    return importlib.import_module(f"{package}.adapters.models").metadata


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
@pytest.mark.parametrize("package", PACKAGES)
def test_migrations_match_models(package, backend, make_database, tmp_path):
    url = make_database(package.removeprefix("tandem_")) if backend == "postgresql" else f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(files(package) / "migrations", url)
    upgrade(files(package) / "migrations", url)  # a second run changes nothing
    engine = make_engine(url)
    try:
        assert current_revision(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _metadata(package))
        assert diff == [], f"{package}: models and migrations differ: {diff}"
    finally:
        engine.dispose()
