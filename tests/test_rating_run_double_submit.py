"""A rating run started twice at once (issue 11, point 4): one run per region and year awaits
approval; the second submit lands on the first run's page. The counts after a double submit
are those of a clean single run: one proposed run, one result per household and entity."""

import threading

import pytest
from sqlalchemy import func, select, text

import tests.factories as f
from models import RatingResult, RatingRun, RunStatus, db
from tests import rating_factories as rf
from tests.import_fault_helpers import sessions_waiting_for_locks, sign_in, token, wait_until
from tests.test_rating_runs import county, rule_set  # noqa: F401 - fixtures

# Two submissions in two threads, each committing on its own connection.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def run_form(client, rule_set) -> dict:  # noqa: F811
    page = client.get("/ratings/runs/new").get_data(as_text=True)
    return {
        "region": f.COUNTY,
        "year": rf.YEAR,
        "as_of": rf.AS_OF.isoformat(),
        "rule_set": rule_set.id,
        "csrf_token": token(page),
    }


def figures() -> dict[str, int]:
    db.session.expire_all()
    return {
        "proposed": db.session.scalar(
            select(func.count()).where(RatingRun.status == RunStatus.PROPOSED)
        ),
        "runs": db.session.scalar(select(func.count()).select_from(RatingRun)),
        "results": db.session.scalar(select(func.count()).select_from(RatingResult)),
    }


def test_a_second_submit_of_a_rating_run_lands_on_the_first_run(
    client,
    users,
    county,  # noqa: F811
    rule_set,  # noqa: F811
    csrf,
):
    sign_in(client, "office_county")
    data = run_form(client, rule_set)

    first = client.post("/ratings/runs/new", data=data)
    clean = figures()
    second = client.post("/ratings/runs/new", data=data)

    run = db.session.scalar(select(RatingRun))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/ratings/runs/{run.id}"
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "该地区本年度已有待审定的评定批次" in page
    assert clean == {"proposed": 1, "runs": 1, "results": len(county)}
    assert figures() == clean


def test_two_simultaneous_submits_of_a_rating_run_leave_one_run(
    app,
    users,
    county,  # noqa: F811
    rule_set,  # noqa: F811
    csrf,
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs two requests writing at once; SQLite serialises writers")
    tabs = [sign_in(app.test_client(), "office_county"), app.test_client()]
    tabs[1].set_cookie("session", tabs[0].get_cookie("session").value)  # a second tab
    forms = [run_form(tab, rule_set) for tab in tabs]
    responses: list = [None, None]

    # Hold the runs table so that both requests have scored and reach their write together.
    gate = db.engine.connect()
    gate.begin()
    gate.execute(text("LOCK TABLE rating_runs IN SHARE ROW EXCLUSIVE MODE"))

    def submit(i: int) -> None:
        responses[i] = tabs[i].post("/ratings/runs/new", data=forms[i])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: sessions_waiting_for_locks() >= 2, 60)
    finally:
        gate.rollback()
        gate.close()
    for thread in threads:
        thread.join(120)

    run = db.session.scalar(select(RatingRun).where(RatingRun.status == RunStatus.PROPOSED))
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"/ratings/runs/{run.id}"}
    assert figures() == {"proposed": 1, "runs": 1, "results": len(county)}
