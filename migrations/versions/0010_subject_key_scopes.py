"""subject keys carry the scope of their imports; links across scopes wait for an office

Each subject key records the region node of the offices whose imports brought its rows
(backfilled from the scope of the batch that created it), and `subject_link_requests` holds
the links a user saving a file may not make alone, for a credit office to confirm or refuse.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("subject_keys") as batch_op:
        batch_op.add_column(sa.Column("scope_code", sa.String(length=12), nullable=True))
    op.execute(
        "UPDATE subject_keys SET scope_code = (SELECT b.scope_code FROM import_batches b"
        " WHERE b.id = subject_keys.first_batch_id) WHERE first_batch_id IS NOT NULL"
    )
    op.create_table(
        "subject_link_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_key_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("scope_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_subject_link_requests_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_subject_link_requests_requested_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_key_id"],
            ["subject_keys.id"],
            name=op.f("fk_subject_link_requests_subject_key_id_subject_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_link_requests")),
        sa.UniqueConstraint(
            "subject_key_id",
            "subject_type",
            "subject_id",
            name=op.f("uq_subject_link_requests_subject_key_id_subject_type_subject_id"),
        ),
    )
    with op.batch_alter_table("subject_link_requests") as batch_op:
        batch_op.create_index(
            "ix_subject_link_requests_status_scope", ["status", "scope_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subject_link_requests_subject_key_id"), ["subject_key_id"], unique=False
        )


def downgrade():
    op.drop_table("subject_link_requests")
    with op.batch_alter_table("subject_keys") as batch_op:
        batch_op.drop_column("scope_code")
