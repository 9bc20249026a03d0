"""default-risk score: model registry, activations per subject type, stored scores

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# One subject's departmental rows in every version, for its score on demand.
RECORD_TABLES = (
    "tax_records",
    "social_insurance_records",
    "provident_fund_records",
    "utility_records",
    "loan_records",
    "public_records",
)


def upgrade():
    for table in RECORD_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(f"ix_{table}_subject_key_id", ["subject_key_id"], unique=False)
    op.create_table(
        "score_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_types", sa.JSON(), nullable=False),
        sa.Column("model_text", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("categorical", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("calibration", sa.JSON(), nullable=False),
        sa.Column("scale", sa.JSON(), nullable=False),
        sa.Column("window", sa.JSON(), nullable=False),
        sa.Column("train_from", sa.Date(), nullable=True),
        sa.Column("train_to", sa.Date(), nullable=True),
        sa.Column("data_as_of", sa.Date(), nullable=True),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"], ["users.id"], name=op.f("fk_score_models_trained_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_models")),
    )
    op.create_table(
        "score_model_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("activated_by_id", sa.Integer(), nullable=True),
        sa.Column("activated_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activated_by_id"],
            ["users.id"],
            name=op.f("fk_score_model_activations_activated_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["score_models.id"],
            name=op.f("fk_score_model_activations_model_id_score_models"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_model_activations")),
    )
    with op.batch_alter_table("score_model_activations") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_score_model_activations_model_id"), ["model_id"], unique=False
        )
        batch_op.create_index(
            "uq_score_model_activations_current",
            ["subject_type"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
    op.create_table(
        "credit_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("points", sa.SmallInteger(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["score_models.id"], name=op.f("fk_credit_scores_model_id_score_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_scores")),
    )
    with op.batch_alter_table("credit_scores") as batch_op:
        batch_op.create_index(
            "ix_credit_scores_subject", ["subject_type", "subject_id", "as_of"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_scores_model_id"), ["model_id"], unique=False)


def downgrade():
    with op.batch_alter_table("credit_scores") as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_scores_model_id"))
        batch_op.drop_index("ix_credit_scores_subject")
    op.drop_table("credit_scores")
    with op.batch_alter_table("score_model_activations") as batch_op:
        batch_op.drop_index("uq_score_model_activations_current")
        batch_op.drop_index(batch_op.f("ix_score_model_activations_model_id"))
    op.drop_table("score_model_activations")
    op.drop_table("score_models")
    for table in RECORD_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_subject_key_id")
