"""Baseline: the metadata schema as ``create_all`` made it before migrations existed.

Revision ID: 0001_baseline
Revises: (none)

A new database gets every table. A database made by ``create_all`` before this revision
(no ``alembic_version`` table) is adopted: its tables stay as they are, with their rows, a
table it lacks is created, and a table missing a column is refused. This file is frozen:
change the schema in a new revision, never here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _name() -> sa.Column[str]:
    return sa.Column("name", sa.String(255), nullable=False)


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _tables() -> list[tuple[sa.Table, Sequence[str]]]:
    """Each table with the columns it indexes (``ix_<table>_<column>``), parents first."""
    meta = sa.MetaData()
    text, text64, json = sa.Text(), sa.String(64), sa.JSON()
    mappings = sa.Table(
        "mappings",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        _name(),
        sa.Column("description", text),
        sa.Column("owner_username", sa.String(255), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("ttl", text64),
        sa.Column("inactivity_timeout", text64),
        *_timestamps(),
        sqlite_autoincrement=True,
    )
    mapping_versions = sa.Table(
        "mapping_versions",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "mapping_id",
            sa.Integer(),
            sa.ForeignKey("mappings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("node_definitions", json, nullable=False),
        sa.Column("edge_definitions", json, nullable=False),
        sa.Column("change_description", text),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("mapping_id", "version"),
    )
    snapshots = sa.Table(
        "snapshots",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mapping_id", sa.Integer(), sa.ForeignKey("mappings.id"), nullable=False),
        sa.Column("mapping_version", sa.Integer(), nullable=False),
        _name(),
        sa.Column("description", text),
        sa.Column("owner_username", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error_message", text),
        sa.Column("path", text),
        sa.Column("size_bytes", sa.Integer()),
        sa.Column("node_counts", json, nullable=False),
        sa.Column("edge_counts", json, nullable=False),
        sa.Column("progress", json, nullable=False),
        sa.Column("ttl", text64),
        sa.Column("inactivity_timeout", text64),
        *_timestamps(),
        sqlite_autoincrement=True,
    )
    instances = sa.Table(
        "instances",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("snapshots.id")),
        sa.Column("mapping_id", sa.Integer(), sa.ForeignKey("mappings.id")),
        sa.Column("mapping_version", sa.Integer()),
        _name(),
        sa.Column("description", text),
        sa.Column("owner_username", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("instance_url", sa.String(255)),
        sa.Column("pid", sa.Integer()),
        sa.Column("port", sa.Integer()),
        sa.Column("wrapper_token", sa.String(128)),
        sa.Column("cpu_cores", sa.Integer(), nullable=False),
        sa.Column("error_message", text),
        sa.Column("progress", json, nullable=False),
        sa.Column("ttl", text64),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("inactivity_timeout", text64),
        sa.Column("last_activity_at", sa.DateTime()),
        *_timestamps(),
        sqlite_autoincrement=True,
    )
    export_jobs = sa.Table(
        "export_jobs",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("entity_type", sa.String(16), nullable=False),
        sa.Column("entity_name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer()),
        sa.Column("error_message", text),
        *_timestamps(),
    )
    favorites = sa.Table(
        "favorites",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("resource_type", sa.String(16), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("username", "resource_type", "resource_id"),
    )
    config_entries = sa.Table(
        "config_entries",
        meta,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", json, nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(255)),
    )
    job_state = sa.Table(
        "job_state",
        meta,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_run_at", sa.DateTime()),
        sa.Column("last_success_at", sa.DateTime()),
        sa.Column("last_failure_at", sa.DateTime()),
        sa.Column("last_triggered_at", sa.DateTime()),
        sa.Column("last_error", text),
        sa.Column("last_result", json),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("run_count", sa.Integer(), nullable=False),
    )
    api_keys = sa.Table(
        "api_keys",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(255)),
        sa.Column("revoked_at", sa.DateTime()),
    )
    idempotency_records = sa.Table(
        "idempotency_records",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("response_status", sa.Integer()),
        sa.Column("response_body", sa.LargeBinary()),
        sa.Column("content_type", sa.String(128)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    audit_log = sa.Table(
        "audit_log",
        meta,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(16)),
        sa.Column("resource_id", sa.Integer()),
        sa.Column("details", json),
    )
    owned = ("created_at", "owner_username")
    return [
        (mappings, (*owned, "name")),
        (mapping_versions, ()),
        (snapshots, (*owned, "mapping_id", "status")),
        (instances, (*owned, "mapping_id", "snapshot_id", "status")),
        (export_jobs, ("created_at", "snapshot_id", "status")),
        (favorites, ("username",)),
        (config_entries, ()),
        (job_state, ()),
        (api_keys, ()),
        (idempotency_records, ("created_at",)),
        (audit_log, ()),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for table, indexed in _tables():
        if table.name in existing:  # made by create_all before migrations: adopt it
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in have]
            if missing:
                raise RuntimeError(
                    f"the existing table {table.name!r} lacks the column(s) {missing}: it was "
                    "not made by graph-olap, or by a version too old to upgrade. Point the "
                    "platform at another database, or move this one aside"
                )
            continue
        table.create(bind)
        for column in indexed:
            op.create_index(f"ix_{table.name}_{column}", table.name, [column])


def downgrade() -> None:
    for table, _indexed in reversed(_tables()):
        op.drop_table(table.name)
