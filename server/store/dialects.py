"""What the store's statements need to read the same on SQLite and on PostgreSQL.

The prebuilt upserts (repo.py) are built with SQLite's `insert(...).on_conflict_do_update`.
PostgreSQL writes ON CONFLICT exactly so (`ON CONFLICT (id) DO UPDATE SET col = excluded.col`),
but SQLAlchemy's PostgreSQL compiler does not take SQLite's clause object: here it is given
PostgreSQL's own one with the same target and assignments, so each statement is built once and
compiled (and cached) per engine as any other. PostgreSQL's dialect is imported only when a
statement is compiled for it: a hub on SQLite (a Pi) is spared its ~2 MB.
"""
from __future__ import annotations

from sqlalchemy import case
from sqlalchemy.dialects.sqlite import dml as sqlite_dml
from sqlalchemy.ext.compiler import compiles


@compiles(sqlite_dml.OnConflictDoUpdate, "postgresql")
def _on_conflict_do_update(element, compiler, **kw):
    from sqlalchemy.dialects.postgresql import dml as pg_dml

    same = pg_dml.OnConflictDoUpdate(
        index_elements=element.inferred_target_elements,
        index_where=element.inferred_target_whereclause,
        set_=dict(element.update_values_to_set), where=element.update_whereclause)
    return compiler.process(same, **kw)


@compiles(sqlite_dml.OnConflictDoNothing, "postgresql")
def _on_conflict_do_nothing(element, compiler, **kw):
    from sqlalchemy.dialects.postgresql import dml as pg_dml

    same = pg_dml.OnConflictDoNothing(index_elements=element.inferred_target_elements,
                                      index_where=element.inferred_target_whereclause)
    return compiler.process(same, **kw)


def greater(a, b):
    """The greater of two non-null values: SQLite's two-argument max(), PostgreSQL's greatest()."""
    return case((a >= b, a), else_=b)
