"""Rating results keep the value each departmental indicator scored

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-03 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rating_results") as batch_op:
        batch_op.add_column(sa.Column("indicator_values", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("rating_results") as batch_op:
        batch_op.drop_column("indicator_values")
