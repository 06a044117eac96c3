"""user attributes as searchable rows, for Keycloak's `GET users?q=name:value`

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from ostium.storage.sql.repositories.users import attribute_rows

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    table = op.create_table(
        "user_attributes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("realm_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_attributes_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_attributes")),
    )
    with op.batch_alter_table("user_attributes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_attributes_realm_name_value",
            ["realm_id", "name", "value", "user_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_user_attributes_user_id"), ["user_id"], unique=False)
    # Backfill from the JSON column, a page of users at a time (keyset on id) so a large
    # realm is never held in memory at once.
    bind = op.get_bind()
    users = sa.table("users", sa.column("id"), sa.column("realm_id"), sa.column("attributes"))
    last = ""
    while True:
        page = bind.execute(
            sa.select(users.c.id, users.c.realm_id, users.c.attributes)
            .where(users.c.id > last)
            .order_by(users.c.id)
            .limit(_BATCH)
        ).all()
        if not page:
            break
        rows = [
            row
            for user_id, realm_id, attributes in page
            for row in attribute_rows(user_id, realm_id, json.loads(attributes or "{}"))
        ]
        if rows:
            bind.execute(sa.insert(table), rows)
        last = page[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("user_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_attributes_user_id"))
        batch_op.drop_index("ix_user_attributes_realm_name_value")
    op.drop_table("user_attributes")
