"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from models import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_go_down_to_empty_and_up_again(migrated_app):
    with migrated_app.app_context():
        downgrade(revision="base")
        assert "households" not in db.inspect(db.engine).get_table_names()
        upgrade()
        assert "households" in db.inspect(db.engine).get_table_names()
