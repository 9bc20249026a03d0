"""One clock: dates follow the county's zone (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai), not the
server process's. The 公示 cycle is run through the pages at instants around midnight in
Beijing with the process in UTC and in Asia/Shanghai, and every date comes out the same."""

import time
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from models import Objection, ResultStatus, clock, db
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import login


@pytest.fixture(params=["UTC", "Asia/Shanghai"])
def server_zone(request, monkeypatch):
    """The server process's own zone (what date.today() would read)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def village(users, cipher):
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    zhao = f.make_household(cipher, users["cadre"], head_name="赵兰")
    results = {
        "yang": pf.make_result(run, yang, 86.5, "AAA"),
        "wang": pf.make_result(run, wang, 58, None),
        "zhao": pf.make_result(run, zhao, 71, "AA"),
    }
    db.session.commit()
    return {"run": run, "rating": tree[f.VILLAGE_A], "results": results, "yang": yang}


def _object(client, result_id: int, township_id: int, name: str):
    return client.post(
        f"/ratings/objections/new/{result_id}",
        data={"raised_by_name": name, "reason": "收入未计入", "assignee": township_id},
    )


def test_the_publication_cycle_keeps_the_countys_dates_whatever_the_servers_zone(
    server_zone, client, runner, users, village
):
    run, rating, results = village["run"], village["rating"], village["results"]
    page_url = f"/ratings/publication/{run.id}/{f.VILLAGE_A}"
    township = users["township"].id

    # 16:30 UTC on 1 March is 00:30 on 2 March in Beijing: the 公示 starts on 2 March.
    with freeze_time("2026-03-01 16:30:00"):
        assert clock.today() == date(2026, 3, 2)
        login(client, "cadre_a")
        assert client.post(f"{page_url}/publish").status_code == 302
        db.session.expire_all()
        assert rating.publicity_ends_on == date(2026, 3, 9)
        notice = client.get(f"{page_url}/notice").get_data(as_text=True)
        assert "2026-03-02 至 2026-03-09" in notice
        assert _object(client, results["wang"].id, township, "王小明").status_code == 302
        objection = db.session.scalar(select(Objection))
        assert objection.due_on == date(2026, 3, 22)  # 20 days from 2 March

    # 23:59 in Beijing on the last day: still open for objections, nothing effective yet.
    with freeze_time("2026-03-09 15:59:00"):
        assert _object(client, results["zhao"].id, township, "赵兰").status_code == 302
        rows = client.get(page_url).get_data(as_text=True).split("<tbody>", 1)[1]
        assert "已生效" not in rows
        assert "0 results took effect" in runner.invoke(args=["ratings-apply-effective"]).output

    # Midnight in Beijing: the 公示 is over. Objections are refused, results take effect.
    with freeze_time("2026-03-09 16:00:00"):
        refused = _object(client, results["yang"].id, township, "杨建国")
        assert refused.status_code == 200
        assert "公示期为 2026-03-02 至 2026-03-09，已过异议期" in refused.get_data(as_text=True)
        rows = client.get(page_url).get_data(as_text=True).split("<tbody>", 1)[1]
        assert rows.count("已生效") == 1 and rows.count("有异议") == 2
        assert "1 results took effect" in runner.invoke(args=["ratings-apply-effective"]).output
        db.session.expire_all()
        assert results["yang"].status == ResultStatus.EFFECTIVE
        assert village["yang"].credit_grade == "AAA"

    # The objection is due by the end of 22 March in Beijing, and overdue from midnight.
    client.post("/logout")
    login(client, "office_town")
    with freeze_time("2026-03-22 15:59:00"):
        assert "王小明" not in client.get("/ratings/objections/?overdue=1").get_data(as_text=True)
    with freeze_time("2026-03-22 16:00:00"):
        assert "王小明" in client.get("/ratings/objections/?overdue=1").get_data(as_text=True)
