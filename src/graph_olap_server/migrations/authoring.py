"""Writing a new migration (for contributors): ``graph-olap db revision -m "..."``.

Autogenerate compares the models with a scratch SQLite database upgraded to the current
head and writes ``versions/vNNNN_<slug>.py`` into this package's source folder. Read the
file it writes before committing it: autogenerate misses renames and data moves.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine

from graph_olap_server.migrations.upgrade import SCRIPT_LOCATION, alembic_config, upgrade_to_head

__all__ = ["new_revision"]


def new_revision(message: str, metadata: MetaData) -> Path:
    """Write the next revision: what ``metadata`` has that the migrations' head lacks.

    Example:
        >>> from graph_olap_server.db import Base
        >>> new_revision("add mappings.color", Base.metadata).name
        'v0002_add_mappings_color.py'
    """
    script = ScriptDirectory.from_config(alembic_config())
    number = 1 + max(int(s.revision.split("_", 1)[0]) for s in script.walk_revisions())
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "change"
    rev_id = f"{number:04d}_{slug}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            upgrade_to_head(engine)
            with engine.begin() as connection:
                config = alembic_config(connection, metadata)
                config.set_main_option("file_template", "v%%(rev)s")
                command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    return SCRIPT_LOCATION / "versions" / f"v{rev_id}.py"
