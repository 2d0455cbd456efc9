"""Capacity: the event calendar and the scaling history

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_at", sa.BigInteger(), nullable=False),
        sa.Column("ends_at", sa.BigInteger(), nullable=False),
        sa.Column("multiplier", sa.Float(), nullable=False),
        sa.Column("pre_queue", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_capacity_events_ends_at", "capacity_events", ["ends_at"])
    op.create_table(
        "scaling_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("nodes_before", sa.Integer(), nullable=False),
        sa.Column("nodes_after", sa.Integer(), nullable=False),
        sa.Column("provisioning_seconds", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scaling_events_at", "scaling_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_scaling_events_at", table_name="scaling_events")
    op.drop_table("scaling_events")
    op.drop_index("ix_capacity_events_ends_at", table_name="capacity_events")
    op.drop_table("capacity_events")
