"""Review up the tree: each village's state and what it waits for, the actions allowed now
(or why not), the township's own title, and reminders to villages that have not published,
which land on the cadre's dashboard."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import RegionRating, Role, VillageReminder, clock, db
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import csrf_token, login


@pytest.fixture
def run(users, cipher):
    """Village A published 10 days ago (公示 over), village B not published."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    li = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    pf.make_result(run, yang, 86.5, "AAA")
    pf.make_result(run, li, 75, "AA")
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    return run


def _row(page: str, name: str) -> str:
    match = re.search(rf"<tr>\s*<td[^>]*>\s*<a[^>]*>{name}</a>.*?</tr>", page, re.S)
    assert match, name
    return match.group(0)


def test_township_sees_its_own_title_states_waits_and_actions(client, users, run):
    login(client, "office_town")
    page = client.get(f"/ratings/review/{run.id}").get_data(as_text=True)
    assert "庄里镇 2025 年度评定审核" in page and "富平县 2025 年度评定审核" not in page
    published = _row(page, "杨家村")
    assert "公示已期满，等待乡镇信用办审核" in published
    assert "审核通过</button>" in published and "退回</button>" in published
    waiting = _row(page, "西坡村")
    assert "等待村干部初评并发布公示" in waiting
    assert "审核通过</button>" not in waiting and "退回</button>" not in waiting
    assert "不能通过：村里尚未公示评定结果" in waiting
    assert "催办</button>" in waiting


def test_a_village_under_publicity_says_when_it_ends(client, users, run, cipher):
    rating = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == f.VILLAGE_B
        )
    )
    pf.publish(rating, users["cadre_b"], clock.today())
    db.session.commit()
    login(client, "office_town")
    row = _row(client.get(f"/ratings/review/{run.id}").get_data(as_text=True), "西坡村")
    assert f"公示中，{rating.publicity_ends_on} 期满" in row
    assert "不能退回：公示期满后方可退回" in row


def test_office_reminds_unpublished_villages_and_the_cadre_sees_the_task(
    client, csrf_on, users, run
):
    login(client, "office_town")
    page = client.get(f"/ratings/review/{run.id}").get_data(as_text=True)
    assert "1 个村尚未发布公示" in page
    data = {"csrf_token": csrf_token(page), "message": "请本周内完成初评并公示"}
    page = client.post(f"/ratings/review/{run.id}/remind", data=data, follow_redirects=True)
    assert "已催办 1 个村" in page.get_data(as_text=True)
    assert "今天已催办" in page.get_data(as_text=True)
    # A second click the same day adds nothing.
    client.post(f"/ratings/review/{run.id}/remind", data=data)
    reminders = db.session.scalars(select(VillageReminder)).all()
    assert [(r.village_code, r.message) for r in reminders] == [
        (f.VILLAGE_B, "请本周内完成初评并公示")
    ]

    client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    login(client, "cadre_b")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "庄里镇信用办" in dashboard and "请本周内完成初评并公示" in dashboard
    assert f"/ratings/publication/{run.id}/{f.VILLAGE_B}" in dashboard
    client.post("/logout", data={"csrf_token": csrf_token(dashboard)})
    login(client, "cadre_a")  # village A published: no reminder for it
    assert "请本周内完成初评并公示" not in client.get("/dashboard").get_data(as_text=True)


def test_a_village_out_of_scope_cannot_be_reminded(client, users, run):
    f.make_user("office_town_b", Role.OFFICE, f.TOWNSHIP_B)
    db.session.commit()
    login(client, "office_town_b")
    response = client.post(f"/ratings/review/{run.id}/remind", data={"code": f.VILLAGE_B})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(VillageReminder)) == 0
