"""credit file versions for optimistic locking of edits

Households, entities and enterprises get a version bumped by every save; audit events record
the version a change produced, so a refused stale edit can list what changed since.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FILE_TABLES = ("households", "agri_entities", "enterprises")


def upgrade():
    for table in FILE_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), nullable=False, server_default="1")
            )
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.add_column(sa.Column("subject_version", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_column("subject_version")
    for table in FILE_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("version")
