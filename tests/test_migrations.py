"""The Alembic migrations build exactly the schema the models describe, column types included,
on every backend; and they go down and up again (in a database of their own, never the one
the other tests share)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from models import db
from tests.conftest import app_on


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_go_down_to_empty_and_up_again(own_database_url, tmp_path):
    own = app_on(own_database_url, str(tmp_path / "instance"))
    with own.app_context():
        try:
            upgrade()
            assert "households" in db.inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert "households" not in db.inspect(db.engine).get_table_names()
            upgrade()
            assert "households" in db.inspect(db.engine).get_table_names()
        finally:
            db.session.remove()
            db.engine.dispose()
