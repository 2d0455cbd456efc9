"""Edge analytics: arrival counts per minute and hour, visitor sketches, applied batches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_counts",
        sa.Column("granularity", sa.String(length=6), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("bot", sa.Boolean(), nullable=False),
        sa.Column("arrivals", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "granularity", "period_start", "section", "lang", "country", "outcome", "bot"
        ),
    )
    op.create_table(
        "analytics_visitor_sketches",
        sa.Column("granularity", sa.String(length=6), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("registers", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("granularity", "period_start", "dimension", "value"),
    )
    op.create_table(
        "analytics_applied_batches",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_index(
        "ix_analytics_applied_batches_applied_at", "analytics_applied_batches", ["applied_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_analytics_applied_batches_applied_at", table_name="analytics_applied_batches")
    op.drop_table("analytics_applied_batches")
    op.drop_table("analytics_visitor_sketches")
    op.drop_table("analytics_counts")
