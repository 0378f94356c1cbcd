"""Versioned settings documents on real SQLite files and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError

from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.documents import documents_table, load_document, save_document

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_document_is_absent_then_saved_then_replaced(kind, make_database, tmp_path):
    url = make_database("documents") if kind == "postgresql" else f"sqlite:///{tmp_path / 'documents.db'}"
    metadata = MetaData()
    settings = documents_table(metadata, "settings")
    engine = make_engine(url)
    metadata.create_all(engine)
    sessions = session_factory(engine)
    try:
        with transaction(sessions) as session:
            assert load_document(session, settings, "rules") is None
            save_document(session, settings, "rules", {"weights": [1, 2]}, version=1, at=T0, by="admin")
        with transaction(sessions) as session:
            save_document(session, settings, "rules", {"weights": [3]}, version=2, at=T0, by="admin-2")
        with transaction(sessions) as session:
            found = load_document(session, settings, "rules", for_update=True)
        # A time read back from SQLite is aware too.
        assert found == {"name": "rules", "document": {"weights": [3]}, "version": 2, "updated_at": T0,
                         "updated_by": "admin-2"}
        with pytest.raises(IntegrityError):  # a second first save: the other admin's stands
            with transaction(sessions) as session:
                save_document(session, settings, "rules", [], version=1, at=T0, by="admin")
        with sessions() as session:
            assert load_document(session, settings, "rules")["version"] == 2
    finally:
        engine.dispose()
