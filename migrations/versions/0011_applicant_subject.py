"""an applicant logs in as one subject

`users.subject_type` / `users.subject_id` name the household, entity or enterprise whose file,
grade, objections and financing needs an applicant account acts for.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
