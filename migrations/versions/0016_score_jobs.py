"""default-risk score: training and scoring runs started from the model pages

`score_jobs` holds each run's status and progress (polled by the page whoever runs it: an RQ
worker or the request itself) and its result: the model a training made, the rows a scoring
scored and the population stability it measured.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "score_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"], ["score_models.id"], name=op.f("fk_score_jobs_model_id_score_models")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_score_jobs_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_jobs")),
    )


def downgrade():
    op.drop_table("score_jobs")
