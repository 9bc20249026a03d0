"""rule set versions unique per office and name

Before this constraint two simultaneous 复制为新版本 clicks could give two rule sets the same
office, name and version. The upgrade renumbers such duplicates itself before adding the
constraint: the first one (lowest id) keeps its number, each later one gets the next free
version of its lineage, and its notes say so. Runs refer to rule sets by id, so nothing else
changes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:00:00

"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def renumber_duplicate_versions(conn) -> int:
    """Renumber every rule set whose (office, name, version) an earlier one already has;
    returns how many were renumbered."""
    rows = conn.execute(
        sa.text(
            "SELECT id, scope_code, name, version, notes FROM rule_sets "
            "ORDER BY scope_code, name, version, id"
        )
    ).all()
    highest: dict[tuple[str, str], int] = {}
    for row in rows:
        lineage = (row.scope_code, row.name)
        highest[lineage] = max(highest.get(lineage, 0), row.version)
    seen: set[tuple[str, str, int]] = set()
    renumbered = 0
    for row in rows:
        key = (row.scope_code, row.name, row.version)
        if key not in seen:
            seen.add(key)
            continue
        lineage = (row.scope_code, row.name)
        highest[lineage] += 1
        version = highest[lineage]
        note = f"（升级时由第 {row.version} 版改为第 {version} 版：与另一版本号重复）"
        conn.execute(
            sa.text("UPDATE rule_sets SET version = :version, notes = :notes WHERE id = :id"),
            {"version": version, "notes": f"{row.notes or ''}{note}", "id": row.id},
        )
        log.warning(
            "rule set %s (%s, %s): version %s renumbered to %s",
            row.id,
            row.scope_code,
            row.name,
            row.version,
            version,
        )
        renumbered += 1
    return renumbered


def upgrade():
    renumber_duplicate_versions(op.get_bind())
    # batch mode: SQLite adds a constraint by rebuilding the table.
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.create_unique_constraint(
            "uq_rule_sets_scope_code_name_version", ["scope_code", "name", "version"]
        )


def downgrade():
    with op.batch_alter_table("rule_sets") as batch_op:
        batch_op.drop_constraint("uq_rule_sets_scope_code_name_version", type_="unique")
