"""Copies of the whole helpdesk database: to another database, or (SQLite) to a file.

`python -m bot db copy TARGET_URL` reads the configured database (DATABASE_URL) and
writes every table to TARGET_URL, which is migrated first and must be empty. The copy is
one read snapshot and one write transaction: it lands whole or not at all. Rows keep
their ids (tickets, pungli codes, audit entries stay the same), and PostgreSQL's id
sequences are moved past the copied ids so new rows do not collide.

`python -m bot db backup FILE` takes a consistent copy of a SQLite database while the
helpdesk runs (SQLite's online backup API); PostgreSQL has pg_dump for that.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Integer, func, select
from sqlalchemy.engine import make_url

from bot.store import Base, Store, alembic_config

BATCH = 1000


class CopyError(Exception):
    """The copy can not start: the sentence says why (nothing was written)."""


@dataclass(frozen=True)
class Copied:
    """Rows copied per table, in the order they were written."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy(source: Store, target: Store) -> Copied:
    """Copy every table of `source` into `target` (migrated here, and refused unless empty)."""
    head = ScriptDirectory.from_config(alembic_config(source.url)).get_current_head()
    with source.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    if revision != head:
        raise CopyError(
            f"database sumber ada di revisi {revision}, bukan {head}: "
            "jalankan dulu `python -m bot db upgrade` dengan DATABASE_URL sumber"
        )
    target.migrate()
    tables = Base.metadata.sorted_tables  # parents before the rows that point at them
    with target.engine.begin() as write:
        filled = [t.name for t in tables if write.scalar(select(func.count()).select_from(t))]
        if filled:
            raise CopyError(f"database tujuan tidak kosong (tabel {', '.join(filled)})")
        rows = {}
        with source.engine.connect() as read:
            if read.dialect.name == "postgresql":
                read = read.execution_options(isolation_level="REPEATABLE READ")
            for table in tables:  # one read transaction: a consistent snapshot
                rows[table.name] = _copy_table(read, write, table)
        if write.dialect.name == "postgresql":
            _move_sequences(write, tables)
    return Copied(rows)


def _copy_table(read: Connection, write: Connection, table) -> int:
    result = read.execution_options(yield_per=BATCH).execute(
        select(table).order_by(*table.primary_key.columns)  # self-references point back
    )
    count = 0
    for batch in result.mappings().partitions():
        write.execute(table.insert(), [dict(row) for row in batch])
        count += len(batch)
    return count


def _move_sequences(write: Connection, tables) -> None:
    for table in tables:
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0]
        if column.autoincrement not in (True, "auto"):
            continue
        following = func.coalesce(select(func.max(column)).scalar_subquery(), 0) + 1
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        write.execute(select(func.setval(sequence, following, False)))


def backup(source: Store, destination: str | Path) -> Path:
    """Write a consistent copy of a SQLite database to `destination` (a new file) while
    others keep writing; return its path. Refused for PostgreSQL (use pg_dump)."""
    url = make_url(source.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise CopyError("cadangan untuk PostgreSQL dibuat dengan pg_dump (lihat README)")
    destination = Path(destination)
    if destination.exists():
        raise CopyError(f"berkas {destination} sudah ada; pilih nama baru")
    partial = destination.with_name(destination.name + ".partial")
    with closing(sqlite3.connect(url.database)) as live, closing(sqlite3.connect(partial)) as to:
        live.backup(to)  # pages copied under SQLite's own locking: one consistent state
    os.replace(partial, destination)  # never a half-written file under the final name
    return destination
