"""Large exports as background jobs (issue 12 point 19)

`export_jobs`: a run's results XLSX above the size threshold is written by a job (RQ when
Redis is configured, inline otherwise); the row keeps its progress, who asked, the scope the
file holds and where the finished file lies in the instance folder.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("fallback", sa.String(length=200), nullable=False),
        sa.Column("stored_as", sa.String(length=80), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["rating_runs.id"], name=op.f("fk_export_jobs_run_id_rating_runs")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_export_jobs_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    op.create_index(op.f("ix_export_jobs_run_id"), "export_jobs", ["run_id"])
    op.create_index(op.f("ix_export_jobs_requested_by_id"), "export_jobs", ["requested_by_id"])


def downgrade():
    op.drop_index(op.f("ix_export_jobs_requested_by_id"), table_name="export_jobs")
    op.drop_index(op.f("ix_export_jobs_run_id"), table_name="export_jobs")
    op.drop_table("export_jobs")
