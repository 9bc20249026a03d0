"""信易贷 statistics and tokens issued by the county office

`financing_needs.first_matched_at`: when matching first found the need eligible for a listed
product (its match rows go when it leaves the pool; the statistics' 已匹配 needs the fact),
backfilled from the stored matches, claims and decisions.
`api_tokens.issued_by_id`: the county office user who issued a bank's token for one of its
officers (NULL when the officer made it himself).

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("financing_needs") as batch_op:
        batch_op.add_column(sa.Column("first_matched_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("issued_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_api_tokens_issued_by_id_users"), "users", ["issued_by_id"], ["id"]
        )
    # A claim or a decision presupposes a match; the earliest of the three is the best known.
    op.execute(
        """
        UPDATE financing_needs SET first_matched_at = (
            SELECT MIN(t) FROM (
                SELECT MIN(matched_at) AS t FROM match_results
                 WHERE match_results.need_id = financing_needs.id AND rank > 0
                UNION ALL
                SELECT MIN(claimed_at) FROM need_claims
                 WHERE need_claims.need_id = financing_needs.id
                UNION ALL
                SELECT MIN(decided_at) FROM loan_decisions
                 WHERE loan_decisions.need_id = financing_needs.id
            ) AS seen
        )
        """
    )


def downgrade():
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_constraint(op.f("fk_api_tokens_issued_by_id_users"), type_="foreignkey")
        batch_op.drop_column("issued_by_id")
    with op.batch_alter_table("financing_needs") as batch_op:
        batch_op.drop_column("first_matched_at")
