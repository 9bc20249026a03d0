"""Migration 0004 adds the unique (office, name, version) constraint on rule sets, and a
database that already holds duplicates (two simultaneous 复制为新版本 clicks before 0004)
upgrades without manual work: the later duplicates are renumbered.

Each backend gets a database of its own, so the shared migrated test database is never
downgraded under the other tests."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import IntegrityError

from models import db
from tests.conftest import app_on

COUNTY = "610528000000"
REGIONS = sa.table(
    "regions", sa.column("code"), sa.column("name"), sa.column("level"), sa.column("parent_code")
)
RULE_SETS = sa.table(
    "rule_sets",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("version", sa.Integer),
    sa.column("status", sa.String),
    sa.column("scope_code", sa.String),
    sa.column("body", sa.JSON),
    sa.column("notes", sa.Text),
    sa.column("created_at", sa.DateTime),
)


@pytest.fixture
def own_app(own_database_url, tmp_path):
    app = app_on(own_database_url, str(tmp_path / "instance"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _rule_set(name: str, version: int, notes: str = "") -> dict:
    return {
        "name": name,
        "version": version,
        "status": "published",
        "scope_code": COUNTY,
        "body": {},
        "notes": notes,
        "created_at": datetime(2026, 11, 30, 9, 0),
    }


def test_upgrade_to_0004_renumbers_duplicate_rule_set_versions(own_app):
    upgrade()
    downgrade(revision="0003")  # the schema as it was before the constraint
    with db.engine.begin() as conn:
        conn.execute(sa.insert(REGIONS).values(code=COUNTY, name="富平县", level="county"))
        for row in [
            _rule_set("评定办法", 1),
            _rule_set("评定办法", 2, "甲的修改"),
            _rule_set("评定办法", 2, "乙的修改"),  # the second click
            _rule_set("评定办法", 2),  # and a third
            _rule_set("另一办法", 2),  # same version in another lineage: not a duplicate
        ]:
            conn.execute(sa.insert(RULE_SETS).values(**row))

    upgrade()

    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                RULE_SETS.c.id, RULE_SETS.c.name, RULE_SETS.c.version, RULE_SETS.c.notes
            ).order_by(RULE_SETS.c.id)
        ).all()
    assert [(r.name, r.version) for r in rows] == [
        ("评定办法", 1),
        ("评定办法", 2),  # the first of the duplicates keeps its number
        ("评定办法", 3),
        ("评定办法", 4),
        ("另一办法", 2),
    ]
    assert rows[1].notes == "甲的修改"
    assert rows[2].notes == "乙的修改（升级时由第 2 版改为第 3 版：与另一版本号重复）"
    assert rows[3].notes == "（升级时由第 2 版改为第 4 版：与另一版本号重复）"
    # and the constraint is in place
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.insert(RULE_SETS).values(**_rule_set("评定办法", 4)))


def test_upgrade_to_0004_leaves_unique_versions_alone(own_app):
    upgrade(revision="0003")
    with db.engine.begin() as conn:
        conn.execute(sa.insert(REGIONS).values(code=COUNTY, name="富平县", level="county"))
        conn.execute(sa.insert(RULE_SETS).values(**_rule_set("评定办法", 1, "原样")))
        conn.execute(sa.insert(RULE_SETS).values(**_rule_set("评定办法", 2)))

    upgrade()

    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(RULE_SETS.c.version, RULE_SETS.c.notes).order_by(RULE_SETS.c.id)
        ).all()
    assert [(r.version, r.notes) for r in rows] == [(1, "原样"), (2, "")]
