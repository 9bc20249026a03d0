"""import batch heartbeat and attempt; one proposed rating run per region and year

A database where two proposed runs of one region and year exist (two simultaneous clicks on
开始评定 before this index) keeps the newest and marks the others superseded, as a rerun would.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PROPOSED = sa.text("status = 'proposed'")


def upgrade():
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("attempt", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE rating_runs SET status = 'superseded' WHERE status = 'proposed' AND id <> ("
        " SELECT MAX(r.id) FROM rating_runs r WHERE r.status = 'proposed'"
        " AND r.region_code = rating_runs.region_code AND r.year = rating_runs.year)"
    )
    op.create_index(
        "uq_rating_runs_proposed",
        "rating_runs",
        ["region_code", "year"],
        unique=True,
        sqlite_where=PROPOSED,
        postgresql_where=PROPOSED,
    )


def downgrade():
    op.drop_index("uq_rating_runs_proposed", table_name="rating_runs")
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("attempt")
        batch_op.drop_column("heartbeat_at")
