"""Alembic environment: runs on the connection the store hands over.

The store opens that connection as a writer (BEGIN IMMEDIATE on SQLite, the writers' advisory
lock on PostgreSQL, whose DDL is transactional too), so two hub processes starting on one
database cannot both create the tables: the second waits, then finds the schema at head. The
migrations are the same for both engines; the few statements that differ (JSON in 0003 and
0005) ask `op.get_bind().dialect.name`.
"""
from alembic import context

from hallcall.server.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
