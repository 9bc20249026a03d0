"""rule set versions unique per office and name

A database holding two rule sets with the same office, name and version (possible before
this constraint, only through two simultaneous 复制为新版本 clicks) must have one of them
renumbered before upgrading.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00

"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # batch mode: SQLite adds a constraint by rebuilding the table.
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.create_unique_constraint(
            "uq_rule_sets_scope_code_name_version", ["scope_code", "name", "version"]
        )


def downgrade():
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.drop_constraint("uq_rule_sets_scope_code_name_version", type_="unique")
