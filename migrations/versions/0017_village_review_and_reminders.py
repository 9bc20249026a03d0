"""village preliminary review, re-check flags, reminders, rule-set titles

`rule_sets.title` is what a notice cites (富平县农户信用等级评定办法（2026年版）);
`region_ratings.preliminary_reviewed_*` record the cadre's 村级初评 before publication;
`recheck_flags` are households the village asks the credit office to re-check, with a note;
`village_reminders` are an office's reminders to villages that have not published;
`file_requests` ask a village's cadre to build the file of an ID number only departmental data
holds (为此证件号建档).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=120), server_default="", nullable=False)
        )
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.add_column(sa.Column("preliminary_reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("preliminary_reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_region_ratings_preliminary_reviewed_by_id_users"),
            "users",
            ["preliminary_reviewed_by_id"],
            ["id"],
        )
    op.create_table(
        "recheck_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("flagged_by_id", sa.Integer(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flagged_by_id"], ["users.id"], name=op.f("fk_recheck_flags_flagged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_recheck_flags_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["rating_results.id"],
            name=op.f("fk_recheck_flags_result_id_rating_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck_flags")),
    )
    with op.batch_alter_table("recheck_flags") as batch_op:
        batch_op.create_index(batch_op.f("ix_recheck_flags_result_id"), ["result_id"])
    op.create_table(
        "village_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["rating_runs.id"],
            name=op.f("fk_village_reminders_run_id_rating_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_village_reminders_sent_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["regions.code"],
            name=op.f("fk_village_reminders_village_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_reminders")),
    )
    with op.batch_alter_table("village_reminders") as batch_op:
        batch_op.create_index(
            "ix_village_reminders_village_run", ["village_code", "run_id"], unique=False
        )
    op.create_table(
        "file_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_key_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_file_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_key_id"],
            ["subject_keys.id"],
            name=op.f("fk_file_requests_subject_key_id_subject_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["regions.code"], name=op.f("fk_file_requests_village_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_requests")),
    )
    with op.batch_alter_table("file_requests") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_requests_subject_key_id"), ["subject_key_id"], unique=False
        )
        batch_op.create_index("ix_file_requests_village_code", ["village_code"], unique=False)


def downgrade():
    op.drop_table("file_requests")
    op.drop_table("village_reminders")
    op.drop_table("recheck_flags")
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_region_ratings_preliminary_reviewed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("preliminary_reviewed_by_id")
        batch_op.drop_column("preliminary_reviewed_at")
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.drop_column("title")
