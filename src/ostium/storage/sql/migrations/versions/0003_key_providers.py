"""key providers: component names and rotation grace periods on realm keys

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("realm_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=255), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("disable_at", sa.BigInteger(), nullable=True))
    # Keys written before key providers were components are named after their provider,
    # as Keycloak names the providers it creates for a new realm.
    op.execute("UPDATE realm_keys SET name = provider WHERE name = ''")


def downgrade() -> None:
    with op.batch_alter_table("realm_keys", schema=None) as batch_op:
        batch_op.drop_column("disable_at")
        batch_op.drop_column("name")
