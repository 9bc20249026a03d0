"""信易贷 matchmaking: banks, branches, officers' bank, loan products, financing needs,
households' signed consents, authorisations and their use log

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-03 12:40:00

"""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=30), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_banks_name")),
    )
    op.create_table(
        "bank_branches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_bank_branches_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_bank_branches_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_branches")),
        sa.UniqueConstraint("bank_id", "name", name=op.f("uq_bank_branches_bank_id_name")),
    )
    with op.batch_alter_table("bank_branches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_branches_bank_id"), ["bank_id"], unique=False)

    op.create_table(
        "financing_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("collateral", sa.String(length=16), nullable=False),
        sa.Column("collateral_note", sa.String(length=200), nullable=False),
        sa.Column("guarantee", sa.String(length=16), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_financing_needs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_financing_needs_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financing_needs")),
    )
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_financing_needs_status_region", ["status", "region_code"], unique=False
        )
        batch_op.create_index(
            "ix_financing_needs_subject", ["subject_type", "subject_id"], unique=False
        )

    op.create_table(
        "loan_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("product_type", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_min", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount_max", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("term_min_months", sa.Integer(), nullable=False),
        sa.Column("term_max_months", sa.Integer(), nullable=False),
        sa.Column("rate_min", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("rate_max", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("subject_types", sa.JSON(), nullable=False),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("min_grade", sa.String(length=4), nullable=True),
        sa.Column("min_score", sa.Integer(), nullable=True),
        sa.Column("tax_grades", sa.JSON(), nullable=False),
        sa.Column("min_years_operating", sa.Integer(), nullable=True),
        sa.Column("collateral_required", sa.Boolean(), nullable=False),
        sa.Column("guarantee_required", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("delisted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_loan_products_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_loan_products_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_loan_products_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_products")),
        sa.UniqueConstraint("bank_id", "code", name=op.f("uq_loan_products_bank_id_code")),
    )
    with op.batch_alter_table("loan_products", schema=None) as batch_op:
        batch_op.create_index("ix_loan_products_status_bank", ["status", "bank_id"], unique=False)

    op.create_table(
        "household_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_consents_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_household_consents_uploaded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_consents")),
    )
    with op.batch_alter_table("household_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_consents_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "authorisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("explicit_consent", sa.Boolean(), nullable=False),
        sa.Column("consent_text_version", sa.String(length=20), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("household_consent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_authorisations_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_authorisations_granted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["household_consent_id"],
            ["household_consents.id"],
            name=op.f("fk_authorisations_household_consent_id_household_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["loan_products.id"],
            name=op.f("fk_authorisations_product_id_loan_products"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_authorisations_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisations")),
    )
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_authorisations_bank_subject",
            ["bank_id", "subject_type", "subject_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_authorisations_subject", ["subject_type", "subject_id"], unique=False
        )

    op.create_table(
        "authorisation_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["authorisations.id"],
            name=op.f("fk_authorisation_uses_authorisation_id_authorisations"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_authorisation_uses_bank_id_banks")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_authorisation_uses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisation_uses")),
    )
    with op.batch_alter_table("authorisation_uses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_authorisation_uses_auth_used", ["authorisation_id", "used_at"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bank_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_bank_id"), ["bank_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_bank_id_banks"), "banks", ["bank_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_bank_id_banks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_bank_id"))
        batch_op.drop_column("bank_id")

    with op.batch_alter_table("authorisation_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_authorisation_uses_auth_used")

    op.drop_table("authorisation_uses")
    with op.batch_alter_table("authorisations", schema=None) as batch_op:
        batch_op.drop_index("ix_authorisations_subject")
        batch_op.drop_index("ix_authorisations_bank_subject")

    op.drop_table("authorisations")
    with op.batch_alter_table("household_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_consents_household_id"))

    op.drop_table("household_consents")
    with op.batch_alter_table("loan_products", schema=None) as batch_op:
        batch_op.drop_index("ix_loan_products_status_bank")

    op.drop_table("loan_products")
    with op.batch_alter_table("financing_needs", schema=None) as batch_op:
        batch_op.drop_index("ix_financing_needs_subject")
        batch_op.drop_index("ix_financing_needs_status_region")

    op.drop_table("financing_needs")
    with op.batch_alter_table("bank_branches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_branches_bank_id"))

    op.drop_table("bank_branches")
    op.drop_table("banks")
