"""page speed: a trigram index for household name search (PostgreSQL), a covering index for
the data-coverage dashboard's count of utility records per batch

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 16:00:00

The household list's name search is a contains match (LIKE '%…%'), which no B-tree serves:
at 200,000 households PostgreSQL read the county for each search. pg_trgm's GIN index finds
the names holding a pattern of three characters or more. pg_trgm ships with PostgreSQL's
contrib and is a trusted extension (PostgreSQL 13+): a user with CREATE on the database may
install it, a superuser is not needed. On SQLite the index is partial on a condition no row
meets (empty, never planned), so the models describe one schema on both backends.

The data-coverage dashboard counts each batch's current utility records and their latest
month; with (batch_id, superseded_by_id, year, month) it reads the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

INDEX = "ix_households_head_name_trgm"
UTILITY_INDEX = "ix_utility_records_batch_current"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        INDEX,
        "households",
        ["head_name"],
        postgresql_using="gin",
        postgresql_ops={"head_name": "gin_trgm_ops"},
        sqlite_where=sa.text("0"),
    )
    op.create_index(
        UTILITY_INDEX, "utility_records", ["batch_id", "superseded_by_id", "year", "month"]
    )


def downgrade():
    # The extension stays: other database objects may have come to use it.
    op.drop_index(UTILITY_INDEX, table_name="utility_records")
    op.drop_index(INDEX, table_name="households")
