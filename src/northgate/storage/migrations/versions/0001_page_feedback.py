"""Page feedback: "report a problem on this page".

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("page_key", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("problem", sa.String(32), nullable=False),
        sa.Column("details", sa.Text(), nullable=False, server_default=""),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )
    op.create_index("ix_page_feedback_page_key", "page_feedback", ["page_key"])


def downgrade() -> None:
    op.drop_index("ix_page_feedback_page_key", table_name="page_feedback")
    op.drop_table("page_feedback")
