"""Alembic, the same way for every service: each service keeps its own migrations
folder whose env.py is two lines (`run_env(metadata)`)."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData

from .db import make_engine, normalise_url


def alembic_config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["url"] = normalise_url(url)
    return cfg


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


def current_revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def run_env(metadata: MetaData) -> None:
    """Body of a service's alembic env.py (online mode only: we always have the URL)."""
    url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=engine.dialect.name == "sqlite",  # SQLite alters tables by copy
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_plumbing_tables() -> None:
    """For a service's first migration: the outbox and processed_events tables."""
    from alembic import op
    from sqlalchemy import MetaData as _MetaData

    from .outbox import add_plumbing_tables

    for table in add_plumbing_tables(_MetaData()):
        table.create(op.get_bind())
