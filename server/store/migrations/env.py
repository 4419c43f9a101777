"""Alembic environment: runs on the connection the store hands over.

The store opens that connection with BEGIN IMMEDIATE, so two hub processes starting on one file
cannot both create the tables: the second waits, then finds the schema at head.
"""
from alembic import context

from hallcall.server.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
