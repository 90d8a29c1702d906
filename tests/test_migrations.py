"""Migrations build the schema from an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store import Base, Store
from tests.conftest import _create_postgres_database, _drop_postgres_database


def _assert_migrated_matches_models(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ (run a new migration): {diff}"


def test_migrations_from_empty_database(database_backend, tmp_path):
    """Runs on the backend of this pass: SQLite, or PostgreSQL when TEST_DATABASE_URL is set."""
    kind, _ = database_backend
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = _create_postgres_database(os.environ["TEST_DATABASE_URL"])
    store = Store(url)
    try:
        store.migrate()
        _assert_migrated_matches_models(store)
        store.migrate()  # applying again is a no-op
        if kind == "sqlite":
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.dispose()
        if kind != "sqlite":
            _drop_postgres_database(url)
