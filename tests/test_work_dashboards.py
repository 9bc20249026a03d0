"""Each role's dashboard shows its work: a cadre her village's 公示 with its end date, open
objections, households flagged for re-check, files to complete and the office's requests; an
office the villages not yet published, objections and repairs due within 3 working days,
departmental sources not imported for months, and unmatched subjects it can hand to the cadre
of the right village (为此证件号建档). Dashboard villages open their pages; village pickers
are grouped by township."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from agri_credit.deadlines import add_working_days
from agri_credit.rating_cycle.repairs import services as repairs
from models import (
    AuditEvent,
    FileRequest,
    Household,
    Objection,
    RecheckFlag,
    Role,
    Source,
    SubjectKey,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import csrf_token, login


@pytest.fixture
def cycle(users, cipher):
    """Village A under 公示 since today with an objection and a flag; B not published."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    li = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    results = {
        "yang": pf.make_result(run, yang, 86.5, "AAA"),
        "wang": pf.make_result(run, wang, 48, None),
        "li": pf.make_result(run, li, 75, "AA"),
    }
    today = clock.today()
    pf.publish(tree[f.VILLAGE_A], users["cadre"], today)
    soon = add_working_days(today, 2)
    db.session.add_all(
        [
            Objection(
                result_id=results["wang"].id,
                raised_by_name="王小明",
                reason="贷款已还清",
                due_on=soon,
            ),
            Objection(
                result_id=results["yang"].id,
                raised_by_name="杨建国",
                reason="收入填错",
                due_on=today + timedelta(days=20),
            ),
            RecheckFlag(
                result_id=results["yang"].id, note="家里新添了农机", flagged_by_id=users["cadre"].id
            ),
        ]
    )
    db.session.commit()
    return {"run": run, "tree": tree, "results": results, "soon": soon}


def test_cadre_sees_her_village_publicity_objections_flags_and_files(client, users, cycle):
    households = db.session.scalars(select(Household).order_by(Household.id)).all()
    for household in households:
        household.completeness = 100
    households[0].completeness = 80  # 杨建国, village A
    db.session.commit()
    login(client, "cadre_a")
    page = client.get("/dashboard").get_data(as_text=True)
    ends = cycle["tree"][f.VILLAGE_A].publicity_ends_on
    assert f"公示中，{ends} 期满" in page
    assert f"/ratings/publication/{cycle['run'].id}/{f.VILLAGE_A}" in page
    assert "未答复的异议" in page and "王小明" in page and f"{cycle['soon']} 前答复" in page
    assert "家里新添了农机" in page
    assert "1 户档案尚未填完整" in page and "/households/?completeness=incomplete" in page
    assert "李卫东" not in page and "西坡村" not in page  # another village


def test_office_sees_unpublished_villages_what_is_due_and_stale_sources(
    client, users, cycle, cipher
):
    household = cycle["results"]["yang"]
    key = d.key_for_household(db.session.get(Household, household.household_id))
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(key, batch, "penalty", "未按规定使用农药", date(2024, 1, 15))
    today = clock.today()
    repair = repairs.apply_for_repair(
        record,
        commitment="承诺依法使用农药",
        evidence="已缴清罚款",
        user=users["office"],
        today=today,
        applied_at=clock.utc_start_of(add_working_days(today, 2) - timedelta(days=30)),
    )
    db.session.commit()
    login(client, "office_town")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "尚未发布公示的村" in page and "西坡村" in page and "等待村干部初评并发布公示" in page
    assert "3 个工作日内到期的异议和信用修复" in page
    assert f"{cycle['soon']} 前答复" in page
    assert "收入填错" not in page  # due in 20 days: not yet on the list
    assert f"/ratings/repairs/{repair.id}" in page and "已超期" in page
    assert "久未更新的部门数据" in page and "税务" in page and "从未导入" in page
    assert "家里新添了农机" in page  # a village's flag waits for the office


def test_dashboard_villages_open_their_pages(client, users, cycle):
    login(client, "office_town")
    page = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/households/?village={f.VILLAGE_A}"' in page
    assert f'href="/households/?village={f.VILLAGE_B}"' in page


def test_office_hands_an_unmatched_number_to_the_right_village(client, csrf_on, users, cipher):
    number = f.make_id_number()
    key = SubjectKey(
        id_hash=cipher.blind_index(number),
        id_cipher=cipher.encrypt(number),
        masked=number[:6] + "********" + number[-4:],
        name="赵春梅",
        scope_code=f.COUNTY,
    )
    db.session.add(key)
    db.session.commit()
    login(client, "office_county")
    assert "未匹配到档案的部门数据主体" in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/dashboard/unmatched").get_data(as_text=True)
    assert key.masked in page and number not in page and "赵春梅" in page
    assert '<optgroup label="庄里镇">' in page and '<optgroup label="张桥镇">' in page
    data = {"csrf_token": csrf_token(page), "village_code": f.VILLAGE_A}
    page = client.post(f"/dashboard/unmatched/{key.id}/request", data=data, follow_redirects=True)
    assert "已请杨家村建档" in page.get_data(as_text=True)
    request = db.session.scalar(select(FileRequest))

    client.post("/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    login(client, "cadre_b")
    assert "为此证件号建档" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get(f"/households/new?file_request={request.id}").status_code == 404
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/dashboard").get_data(as_text=True))}
    )

    login(client, "cadre_a")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "为此证件号建档" in dashboard and "赵春梅" in dashboard and number not in dashboard
    form = client.get(f"/households/new?file_request={request.id}").get_data(as_text=True)
    assert f'value="{number}"' in form and 'value="赵春梅"' in form
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "file_request.open"))


def test_a_request_for_a_village_out_of_scope_is_refused(client, users, cipher):
    key = d.unmatched_key()
    key.scope_code = f.TOWNSHIP_A
    db.session.commit()
    login(client, "office_town")
    client.post(f"/dashboard/unmatched/{key.id}/request", data={"village_code": f.VILLAGE_C})
    assert db.session.scalar(select(FileRequest)) is None
    f.make_user("office_town_b", Role.OFFICE, f.TOWNSHIP_B)
    db.session.commit()
    client.post("/logout")
    login(client, "office_town_b")
    response = client.post(
        f"/dashboard/unmatched/{key.id}/request", data={"village_code": f.VILLAGE_C}
    )
    assert response.status_code == 404  # the key was imported by another township


def test_village_pickers_are_grouped_by_township(client, users):
    login(client, "office_county")
    for url in (
        "/households/",
        "/entities/",
        "/households/new",
        "/entities/new",
        "/imports/households",
    ):
        page = client.get(url).get_data(as_text=True)
        assert '<optgroup label="庄里镇">' in page and '<optgroup label="张桥镇">' in page, url
        assert page.index("杨家村") > page.index('<optgroup label="庄里镇">'), url


def test_stale_sources_are_judged_by_the_datas_own_date_not_the_import_date(client, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    key = d.key_for_household(household)
    today = clock.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    # Imported today, but its newest bill is from January 2023: stale.
    old_data = d.make_batch(Source.ELECTRICITY, users["office"])
    old_data.finished_at = clock.utc_start_of(today)
    d.utility(key, old_data, 2023, 1, 120)
    # Imported a year ago with last month's bills (a forward-dated ledger): fresh.
    fresh_data = d.make_batch(Source.WATER, users["office"])
    fresh_data.finished_at = clock.utc_start_of(today - timedelta(days=365))
    d.utility(key, fresh_data, last_month.year, last_month.month, 8, utility=Source.WATER)
    db.session.commit()
    login(client, "office_county")
    page = client.get("/dashboard").get_data(as_text=True)
    stale = [line for line in page.splitlines() if 'class="stale-source"' in line]
    electricity = next(line for line in stale if "电费" in line)
    months = (today.year * 12 + today.month) - (2023 * 12 + 1)
    assert f"最新数据 2023-01，已 {months} 个月" in electricity
    assert f"最近导入 {today.isoformat()}" in electricity
    assert not any("水费" in line for line in stale)
    assert any("税务" in line and "从未导入" in line for line in stale)
    assert "按数据本身的日期" in page


def test_a_credit_code_request_opens_the_entity_form_with_the_code(client, csrf_on, users):
    key = d.unmatched_key()  # make_uscc: a 93… code, a cooperative's
    key.name = "富平县兴农果业专业合作社"
    key.scope_code = f.COUNTY
    db.session.commit()
    login(client, "office_county")
    page = client.get("/dashboard/unmatched").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "village_code": f.VILLAGE_A}
    client.post(f"/dashboard/unmatched/{key.id}/request", data=data)
    request = db.session.scalar(select(FileRequest))
    client.post("/logout", data={"csrf_token": csrf_token(page)})

    login(client, "cadre_a")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/entities/new?file_request={request.id}"' in dashboard
    form = client.get(f"/entities/new?file_request={request.id}").get_data(as_text=True)
    assert f'value="{key.uscc}"' in form and 'value="富平县兴农果业专业合作社"' in form
    assert re.search(
        r'<option[^>]*selected[^>]*value="cooperative"|<option[^>]*value="cooperative"[^>]*selected',
        form,
    )
    client.post("/logout", data={"csrf_token": csrf_token(form)})
    login(client, "cadre_b")
    assert client.get(f"/entities/new?file_request={request.id}").status_code == 404
