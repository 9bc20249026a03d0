"""Each test runs in a transaction rolled back at its end: what the app commits during a test
is visible to the test and to the app's next request, and never to anyone else."""

import pytest
import sqlalchemy as sa

from models import Household, Region, User, db
from tests import factories as f
from tests.conftest import ForeignWrite, _WriteGuard, login


def _count_elsewhere(model) -> int:
    """The count a connection other than the test's sees: only what was really committed."""
    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_commit_in_the_app_stays_inside_the_test(app, users):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(users)
    assert _count_elsewhere(User) == 0


def test_a_rollback_after_a_commit_keeps_what_was_committed(app, cipher, users):
    kept = f.make_household(cipher, users["cadre"]).id
    db.session.commit()
    f.make_household(cipher, users["cadre"], head_name="刘文华")
    db.session.rollback()
    assert db.session.scalars(sa.select(Household.id)).all() == [kept]


def test_the_app_sees_what_the_test_committed(client, cipher, users):
    household = f.make_household(cipher, users["cadre"], head_name="刘文华")
    db.session.commit()
    login(client, "cadre_a")
    response = client.get(f"/households/{household.id}")
    assert response.status_code == 200 and "刘文华" in response.get_data(as_text=True)


def test_every_test_starts_with_the_region_tree_and_no_users(app):
    codes = set(db.session.scalars(sa.select(Region.code)))
    assert {f.COUNTY, f.TOWNSHIP_A, f.VILLAGE_A, f.VILLAGE_B, f.VILLAGE_C} <= codes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_the_guard_stops_writes_through_another_connection(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/guard.db")
    guard = _WriteGuard()
    sa.event.listen(engine, "before_cursor_execute", guard)
    with engine.connect() as own, engine.connect() as other:
        guard.own = own.connection.dbapi_connection
        own.exec_driver_sql("CREATE TEMP TABLE mine (x INTEGER)")
        other.exec_driver_sql("SELECT 1")
        assert guard.foreign == []
        with pytest.raises(ForeignWrite):
            other.exec_driver_sql("CREATE TEMP TABLE theirs (x INTEGER)")
        assert other.exec_driver_sql("SELECT count(*) FROM sqlite_temp_master").scalar() == 0
    assert guard.foreign == ["CREATE TEMP TABLE theirs (x INTEGER)"]
