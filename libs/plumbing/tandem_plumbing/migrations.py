"""Alembic, the same way for every service: each service keeps its own migrations
folder whose env.py is two lines (`run_env(metadata)`).

alembic is imported only where it runs: it costs half a second at every start of a
process that merely asks for the current revision (`Ops.Status`)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, column, select, table
from sqlalchemy.exc import DBAPIError

from .db import make_engine, normalise_url


def alembic_config(script_location: Path, url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["url"] = normalise_url(url)
    return cfg


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(script_location, url), revision)


def current_revision(engine: Engine) -> str:
    """The revision the database is at ("" before the first migration)."""
    try:
        with engine.connect().execution_options(read_only=True) as conn:
            return conn.execute(select(column("version_num")).select_from(table("alembic_version"))).scalar() or ""
    except DBAPIError:
        return ""  # no alembic_version table yet


def run_env(metadata: MetaData) -> None:
    """Body of a service's alembic env.py (online mode only: we always have the URL)."""
    from alembic import context

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
