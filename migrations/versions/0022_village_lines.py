"""整村授信: a 整村授信 product's line table, village grants (maker-checker) and household lines

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:43:53.401221

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "village_line_terms",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("grade_amounts", sa.JSON(), nullable=False),
        sa.Column("cap_below_points", sa.Integer(), nullable=True),
        sa.Column("cap_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("credit_household_discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("credit_village_discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_village_line_terms_product_id_loan_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_village_line_terms_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_village_line_terms")),
    )
    op.create_table(
        "village_line_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region_rating_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_village_line_grants_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_village_line_grants_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_id"],
            ["users.id"],
            name=op.f("fk_village_line_grants_prepared_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_village_line_grants_product_id_loan_products"),
        ),
        sa.ForeignKeyConstraint(
            ["region_rating_id"],
            ["region_ratings.id"],
            name=op.f("fk_village_line_grants_region_rating_id_region_ratings"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"],
            ["regions.code"],
            name=op.f("fk_village_line_grants_village_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_village_line_grants_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_line_grants")),
        sa.UniqueConstraint(
            "product_id",
            "village_code",
            "year",
            name=op.f("uq_village_line_grants_product_id_village_code_year"),
        ),
    )
    with op.batch_alter_table("village_line_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_village_line_grants_bank_status", ["bank_id", "status"], unique=False
        )
        batch_op.create_index("ix_village_line_grants_village", ["village_code"], unique=False)

    op.create_table(
        "village_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("score_points", sa.Integer(), nullable=True),
        sa.Column("grade_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("taken_up_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["village_line_grants.id"],
            name=op.f("fk_village_lines_grant_id_village_line_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_village_lines_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["financing_needs.id"],
            name=op.f("fk_village_lines_need_id_financing_needs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_lines")),
        sa.UniqueConstraint(
            "grant_id", "household_id", name=op.f("uq_village_lines_grant_id_household_id")
        ),
    )
    with op.batch_alter_table("village_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_village_lines_household", ["household_id", "status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("village_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_village_lines_household")

    op.drop_table("village_lines")
    with op.batch_alter_table("village_line_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_village_line_grants_village")
        batch_op.drop_index("ix_village_line_grants_bank_status")

    op.drop_table("village_line_grants")
    op.drop_table("village_line_terms")
