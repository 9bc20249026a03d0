"""re-rating one subject: its history, and the village averages a run used

`reratings` keeps each re-rating of a result (an objection corrected, a credit repair
approved, a file corrected by an office) with its reason and the result before and after;
`region_ratings.village_means` keeps the village averages a run compared subjects with, so a
re-rating uses the run's village, not the village's files as they are later.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.add_column(sa.Column("village_means", sa.JSON(), nullable=True))
    op.create_table(
        "reratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=True),
        sa.Column("repair_id", sa.Integer(), nullable=True),
        sa.Column("score_before", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("grade_before", sa.String(length=4), nullable=True),
        sa.Column("gate_reasons_before", sa.String(length=300), nullable=False),
        sa.Column("score_after", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("grade_after", sa.String(length=4), nullable=True),
        sa.Column("gate_reasons_after", sa.String(length=300), nullable=False),
        sa.Column("rerated_by_id", sa.Integer(), nullable=True),
        sa.Column("rerated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["rating_results.id"],
            name=op.f("fk_reratings_result_id_rating_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_reratings_objection_id_objections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["repair_id"],
            ["credit_repairs.id"],
            name=op.f("fk_reratings_repair_id_credit_repairs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rerated_by_id"], ["users.id"], name=op.f("fk_reratings_rerated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reratings")),
    )
    with op.batch_alter_table("reratings") as batch_op:
        batch_op.create_index(batch_op.f("ix_reratings_result_id"), ["result_id"], unique=False)


def downgrade():
    with op.batch_alter_table("reratings") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reratings_result_id"))
    op.drop_table("reratings")
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.drop_column("village_means")
