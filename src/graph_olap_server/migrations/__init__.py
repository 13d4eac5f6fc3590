"""The metadata database's schema migrations (Alembic), shipped in the package.

``versions/`` holds one file per revision, ``0001_baseline`` being the schema as
``create_all`` made it before migrations existed. :func:`upgrade_to_head` runs on every
start (:class:`graph_olap_server.db.Database`); ``graph-olap db upgrade`` and
``graph-olap db current`` run it and show where a database stands.
"""

from graph_olap_server.migrations.upgrade import (
    MigrationError,
    Revisions,
    alembic_config,
    head_revision,
    read_revisions,
    upgrade_to_head,
)

__all__ = [
    "MigrationError",
    "Revisions",
    "alembic_config",
    "head_revision",
    "read_revisions",
    "upgrade_to_head",
]
