"""Bulk deletes become jobs: the ``bulk_delete_jobs`` table.

Revision ID: 0002_add_bulk_delete_jobs
Revises: 0001_baseline

An admin bulk delete is recorded with its request (resource type, filters, reason), its
progress (``done`` of ``total``), its status (``queued``, ``running``, ``succeeded``,
``failed``, ``cancelled``) and its result, so ``client.jobs.get("bulk_delete-5")`` finds
it from a new kernel. A database at 0001 gains the empty table; nothing else changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_add_bulk_delete_jobs"
down_revision: str | None = "0001_baseline"
branch_labels: str | None = None
depends_on: str | None = None

_INDEXED = ("created_at", "owner_username", "status")


def upgrade() -> None:
    op.create_table(
        "bulk_delete_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_username", sa.String(length=255), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("matched_ids", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bulk_delete_jobs", schema=None) as batch_op:
        for column in _INDEXED:
            batch_op.create_index(f"ix_bulk_delete_jobs_{column}", [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulk_delete_jobs", schema=None) as batch_op:
        for column in reversed(_INDEXED):
            batch_op.drop_index(f"ix_bulk_delete_jobs_{column}")
    op.drop_table("bulk_delete_jobs")
