"""Alembic environment of the central's own schema: runs on the connection the central's store
hands over, in one transaction. Its version table is `central_version`, so a hub's database given
to `hallcall central --db` by mistake is told apart from a central's (and left unchanged)."""
from alembic import context

from hallcall.server.central.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  version_table="central_version", transactional_ddl=True)
context.run_migrations()
