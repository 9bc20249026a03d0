"""user session version and login lockout

`session_version` is part of every session and remember-me cookie: raising it ends all of a
user's sessions. `failed_logins` counts consecutive wrong passwords; `locked_until` is the
lock they earn. Existing sessions (cookies holding the bare user ID) stop working once: every
user logs in again after the upgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("session_version")
