"""village results record when they took effect

`region_ratings.effective_at` is the stored state of a village whose 公示 is over and whose
results were applied (graded into the files). It replaces the journal entry that used to
mark it, so applying is one conditional UPDATE a second worker cannot repeat. Villages already
applied take the time of that journal entry.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.add_column(sa.Column("effective_at", sa.DateTime(), nullable=True))
    op.execute(
        """
        UPDATE region_ratings SET effective_at = (
            SELECT min(audit_events.occurred_at) FROM audit_events
            WHERE audit_events.subject_type = 'region_rating'
              AND audit_events.subject_id = region_ratings.id
              AND audit_events.action = 'rating.effective'
        )
        """
    )


def downgrade():
    with op.batch_alter_table("region_ratings") as batch_op:
        batch_op.drop_column("effective_at")
