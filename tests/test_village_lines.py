"""整村授信 (issue 15 point 6), through the pages: a 整村授信 product's line table; a 信用村's
rated households granted in one step (preview, then another officer of the bank approves),
never twice; lines withdrawn; the household's cadre sees its line and turns it into a need
with the bank authorised; the village's and the bank's uptake; and the scope every page
keeps (another bank, another village: 404)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from loans.village_lines.lines import LineTerms, compute_lines, line_rate
from models import (
    Authorisation,
    AuthorisationUse,
    CreditScore,
    FinancingNeed,
    LoanDecision,
    ScoreModel,
    VillageLine,
    VillageLineGrant,
    VillageLineTerms,
    clock,
    db,
)
from tests import factories as f
from tests import loans_factories as lf
from tests import publication_factories as pf
from tests.browser_forms import form_fields, login_with_csrf
from tests.conftest import csrf_token, login

TERMS = {
    "amount_aaa": "100000",
    "amount_aa": "50000",
    "amount_a": "30000",
    "cap_below_points": "545",
    "cap_amount": "10000",
    "credit_household_discount": "0.2",
    "credit_village_discount": "0.1",
}


def post_form(client, page_url: str, data: dict, action: str | None = None):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})


def _score(model: ScoreModel, household_id: int, points: int) -> None:
    db.session.add(
        CreditScore(
            subject_type="household",
            subject_id=household_id,
            model_id=model.id,
            as_of=clock.today(),
            probability=0.05,
            points=points,
            reasons=[],
        )
    )


@pytest.fixture
def county(users, cipher):
    """A bank (maker, checker) with a listed 整村授信 product and its table, another bank;
    village A an effective 信用村 (AAA scored well, AA in the high-risk band, A without a
    score, one household below the credit grades), village B rated but not a 信用村."""
    today = clock.today()
    office, cadre, cadre_b = users["office"], users["cadre"], users["cadre_b"]
    bank = lf.make_bank()
    maker = lf.make_officer("maker", bank, display_name="张信贷")
    checker = lf.make_officer("checker", bank, display_name="王审核")
    other = lf.make_bank("中国邮政储蓄银行富平县支行", "邮储银行")
    lf.make_officer("outsider", other)
    product = lf.make_product(
        bank,
        maker,
        status="listed",
        code="ZCSX-01",
        name="整村授信·信用户贷",
        product_type="village",
        subject_types=["household"],
        amount_min=Decimal("10000"),
        amount_max=Decimal("200000"),
        term_min_months=12,
        term_max_months=36,
        rate_min=Decimal("3.85"),
        rate_max=Decimal("5.50"),
    )
    db.session.add(
        VillageLineTerms(
            product_id=product.id,
            grade_amounts={"AAA": 100000, "AA": 50000, "A": 30000},
            cap_below_points=545,
            cap_amount=Decimal("10000"),
            credit_household_discount=Decimal("0.20"),
            credit_village_discount=Decimal("0.10"),
            updated_by_id=maker.id,
        )
    )
    draft = lf.make_product(
        bank, maker, code="ZCSX-02", name="整村授信（草稿）", product_type="village"
    )
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    wang = f.make_household(cipher, cadre, head_name="王小明")
    zhao = f.make_household(cipher, cadre, head_name="赵二牛")
    sun = f.make_household(cipher, cadre, head_name="孙平")
    li = f.make_household(cipher, cadre_b, village_code=f.VILLAGE_B, head_name="李卫东")
    run = pf.make_run(office, year=today.year - 1)
    tree = pf.make_tree(run)
    tree[f.VILLAGE_B].passed = False
    tree[f.VILLAGE_B].reasons = ["信用户占比 52.0%，未达到 70%"]
    for household, points, grade in (
        (yang, 88, "AAA"),
        (wang, 74, "AA"),
        (zhao, 63, "A"),
        (sun, 50, None),
        (li, 75, "AA"),
    ):
        pf.make_result(run, household, points, grade)
    pf.publish(tree[f.VILLAGE_A], cadre, today - timedelta(days=10))  # 公示 over: effective
    pf.publish(tree[f.VILLAGE_B], cadre_b, today - timedelta(days=10))
    model = ScoreModel(model_text="tree", subject_types=["household"], metrics={})
    db.session.add(model)
    db.session.flush()
    _score(model, yang.id, 640)
    _score(model, wang.id, 520)  # 高风险: capped
    db.session.commit()
    return {
        "bank": bank,
        "maker": maker,
        "checker": checker,
        "other": other,
        "product": product,
        "draft": draft,
        "yang": yang,
        "wang": wang,
        "zhao": zhao,
        "li": li,
    }


def _preview_url(county, village=f.VILLAGE_A) -> str:
    return f"/loans/village-lines/new?product_id={county['product'].id}&village_code={village}"


def _prepare(browser, county, village=f.VILLAGE_A):
    page = browser.get(_preview_url(county, village)).get_data(as_text=True)
    return browser.post(
        "/loans/village-lines/new",
        data={
            "csrf_token": csrf_token(page),
            "product_id": county["product"].id,
            "village_code": village,
            "valid_to": (clock.today() + timedelta(days=365)).isoformat(),
        },
    )


def _granted(client, county) -> VillageLineGrant:
    maker = login_with_csrf(client, "maker")
    assert _prepare(maker, county).status_code == 302
    grant = db.session.scalar(select(VillageLineGrant))
    checker = login_with_csrf(client.application.test_client(), "checker")
    page = f"/loans/village-lines/grants/{grant.id}"
    post_form(checker, page, {}, action=f"{page}/approve")
    db.session.refresh(grant)
    assert grant.status == "approved"
    return grant


def _line(household) -> VillageLine:
    return db.session.scalar(select(VillageLine).where(VillageLine.household_id == household.id))


# ---- the line table ----------------------------------------------------------------------------


def test_line_rules_cap_by_score_but_not_without_one():
    import pandas as pd

    terms = LineTerms(
        {"AAA": Decimal(100000), "AA": Decimal(50000), "A": Decimal(0)},
        545,
        Decimal(10000),
        Decimal("0.2"),
        Decimal("0.1"),
    )
    households = pd.DataFrame(
        {
            "household_id": [1, 2, 3, 4, 5],
            "grade": ["AAA", "AA", "AA", "A", None],
            "points": [600.0, 500.0, float("nan"), 700.0, 800.0],
        }
    )
    lines = compute_lines(households, terms).set_index("household_id")
    assert lines["amount"].to_dict() == {1: 100000.0, 2: 10000.0, 3: 50000.0}
    assert lines["capped"].to_dict() == {1: False, 2: True, 3: False}
    assert line_rate(Decimal("3.85"), Decimal("5.50"), terms) == Decimal("5.20")
    assert line_rate(Decimal("5.40"), Decimal("5.50"), terms) == Decimal("5.40")


def test_the_line_table_says_what_is_wrong_per_field_and_saves_nothing(client, county, csrf_on):
    browser = login_with_csrf(client, "maker")
    url = f"/loans/village-lines/products/{county['draft'].id}/terms"
    fields = form_fields(browser.get(url).get_data(as_text=True))
    assert fields["amount_aaa"] == "100000.00"  # the configured defaults
    bad = {
        **fields,
        "amount_aaa": "50000",
        "amount_aa": "80000",  # above AAA
        "amount_a": "5",  # neither 0 nor within the product's range
        "cap_below_points": "545",
        "cap_amount": "",
        "credit_household_discount": "5",
    }
    page = browser.post(url, data=bad).get_data(as_text=True)
    assert "较低等级的额度不能高于较高等级" in page
    assert "额度须为 0（该等级不授信）或在产品额度范围" in page
    assert "按评分封顶须填写封顶额度" in page
    assert "利率优惠须在 0 至 3 个百分点之间" in page
    assert db.session.get(VillageLineTerms, county["draft"].id) is None

    assert browser.post(url, data={**fields, **TERMS}).status_code == 302
    saved = db.session.get(VillageLineTerms, county["draft"].id)
    assert saved.grade_amounts == {"AAA": 100000, "AA": 50000, "A": 30000}
    assert saved.credit_village_discount == Decimal("0.10")

    # A listed product's table changes only through a new listing.
    listed = f"/loans/village-lines/products/{county['product'].id}/terms"
    browser.post(listed, data={**fields, **TERMS, "amount_aaa": "150000"})
    assert db.session.get(VillageLineTerms, county["product"].id).grade_amounts["AAA"] == 100000


# ---- grant: preview, maker-checker, never twice ------------------------------------------------


def test_preview_then_another_officer_approves_and_the_lines_are_written(client, county, csrf_on):
    maker = login_with_csrf(client, "maker")
    page = maker.get(_preview_url(county)).get_data(as_text=True)
    assert "授信 3 户，额度合计 140,000.00 元" in page
    assert "年利率 5.2%" in page
    assert "杨**（AAA）" in page and "杨建国" not in page  # masked before authorisation
    assert "孙" not in page  # below the credit grades: no line
    assert db.session.scalar(select(func.count(VillageLineGrant.id))) == 0  # a GET writes nothing

    assert _prepare(maker, county).status_code == 302
    grant = db.session.scalar(select(VillageLineGrant))
    assert (grant.status, grant.households, grant.total_amount) == ("pending", 3, 140000)
    assert db.session.scalar(select(func.count(VillageLine.id))) == 0
    url = f"/loans/village-lines/grants/{grant.id}"
    response = post_form(maker, url, {}, action=f"{url}/approve")
    assert "不能复核自己提交的授信" in maker.get(response.location).get_data(as_text=True)
    db.session.refresh(grant)
    assert grant.status == "pending"

    checker = login_with_csrf(client.application.test_client(), "checker")
    post_form(checker, url, {}, action=f"{url}/approve")
    db.session.refresh(grant)
    assert grant.status == "approved" and grant.approved_by_id == county["checker"].id
    lines = {line.household_id: line for line in db.session.scalars(select(VillageLine))}
    assert set(lines) == {county["yang"].id, county["wang"].id, county["zhao"].id}
    assert lines[county["yang"].id].amount == 100000
    assert (lines[county["wang"].id].amount, lines[county["wang"].id].capped) == (10000, True)
    zhao = lines[county["zhao"].id]  # 暂无评分: no cap
    assert (zhao.amount, zhao.capped, zhao.score_points) == (30000, False, None)
    assert {line.rate for line in lines.values()} == {Decimal("5.20")}

    # A second approval (double click) and a second grant change nothing.
    post_form(checker, url, {}, action=f"{url}/approve")
    response = _prepare(checker, county)
    assert "不重复授信" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(VillageLineGrant.id))) == 1
    assert db.session.scalar(select(func.count(VillageLine.id))) == 3


@pytest.mark.parametrize(
    ("village", "reason"),
    [
        (
            f.VILLAGE_B,
            "该村2025年度评定未达到信用村标准，不能整村授信（信用户占比 52.0%，未达到 70%）",
        ),
        (f.VILLAGE_C, "该村尚无信用村评定结果，不能整村授信"),
    ],
)
def test_a_village_that_is_not_a_credit_village_is_refused_with_the_reason(
    client, county, csrf_on, village, reason
):
    reason = reason.replace("2025", str(clock.today().year - 1))
    maker = login_with_csrf(client, "maker")
    assert reason in maker.get(_preview_url(county, village)).get_data(as_text=True)
    page = _prepare(maker, county, village).get_data(as_text=True)
    assert reason in page
    assert db.session.scalar(select(func.count(VillageLineGrant.id))) == 0


def test_a_village_under_publicity_is_not_yet_a_credit_village(client, county, csrf_on):
    rating = db.session.scalar(
        select(pf.RegionRating).where(pf.RegionRating.region_code == f.VILLAGE_A)
    )
    rating.publicity_ends_on = clock.today()
    db.session.commit()
    maker = login_with_csrf(client, "maker")
    assert "尚未生效" in _prepare(maker, county).get_data(as_text=True)
    assert db.session.scalar(select(func.count(VillageLineGrant.id))) == 0


def test_another_bank_can_neither_see_nor_withdraw_the_lines(client, county, csrf_on):
    grant = _granted(client, county)
    line = _line(county["yang"])
    outsider = login_with_csrf(client.application.test_client(), "outsider")
    url = f"/loans/village-lines/grants/{grant.id}"
    assert outsider.get(url).status_code == 404
    token = csrf_token(outsider.get("/loans/village-lines/").get_data(as_text=True))
    for action in (
        f"{url}/withdraw",
        f"{url}/approve",
        f"/loans/village-lines/lines/{line.id}/withdraw",
    ):
        response = outsider.post(action, data={"csrf_token": token, "reason": "试图撤回"})
        assert response.status_code == 404, action
    assert "杨" not in outsider.get("/loans/village-lines/").get_data(as_text=True)
    db.session.refresh(grant)
    db.session.refresh(line)
    assert (grant.status, line.status) == ("approved", "active")


def test_the_bank_sees_a_households_line_only_while_it_authorises_the_bank(
    client, county, cadre_consent, csrf_on
):
    grant = _granted(client, county)
    checker = login_with_csrf(client.application.test_client(), "checker")
    url = f"/loans/village-lines/grants/{grant.id}"
    page = checker.get(url).get_data(as_text=True)
    assert "杨建国" not in page and "杨**" in page and "授权后可见" in page
    assert db.session.scalar(select(func.count(AuthorisationUse.id))) == 0
    lf.make_authorisation("household", county["yang"].id, county["bank"], cadre_consent)
    db.session.commit()
    page = checker.get(url).get_data(as_text=True)
    assert "杨建国" in page and "100,000.00" in page
    assert "王小明" not in page
    use = db.session.scalar(select(AuthorisationUse))
    assert use.what.startswith("整村授信：查看授信额度") and use.bank_id == county["bank"].id


# ---- the household and its cadre -------------------------------------------------------------


@pytest.fixture
def cadre_consent(users, county):
    lf.make_consent(county["yang"].id, users["cadre"])
    db.session.commit()
    return users["cadre"]


def test_the_cadre_sees_the_line_and_turns_it_into_a_need_in_one_step(
    client, county, cadre_consent, csrf_on
):
    grant = _granted(client, county)
    line = _line(county["yang"])
    cadre = login_with_csrf(client.application.test_client(), "cadre_a")
    file_page = cadre.get(f"/households/{county['yang'].id}").get_data(as_text=True)
    assert "整村授信额度" in file_page and "100,000.00" in file_page and "转为融资需求" in file_page
    url = f"/loans/village-lines/lines/{line.id}/take-up"
    fields = form_fields(cadre.get(url).get_data(as_text=True))
    page = cadre.post(url, data=fields).get_data(as_text=True)  # consent not ticked
    assert "请确认该户已同意申请并授权该银行" in page
    assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0

    response = cadre.post(url, data={**fields, "confirm": "y"})
    assert response.status_code == 302
    need = db.session.scalar(select(FinancingNeed))
    assert (need.subject_id, need.amount, need.term_months) == (county["yang"].id, 100000, 36)
    assert response.location.endswith(f"/loans/needs/{need.id}")
    authorisation = db.session.scalar(select(Authorisation))
    assert (authorisation.bank_id, authorisation.product_id) == (
        grant.bank_id,
        county["product"].id,
    )
    assert authorisation.household_consent_id is not None
    db.session.refresh(line)
    assert (line.status, line.need_id) == ("taken_up", need.id)
    cadre.post(url, data={**fields, "confirm": "y"})  # again: nothing more
    assert db.session.scalar(select(func.count(FinancingNeed.id))) == 1


def test_without_the_households_signed_consent_the_cadre_is_sent_to_record_it(
    client, county, csrf_on
):
    _granted(client, county)
    line = _line(county["yang"])
    cadre = login_with_csrf(client.application.test_client(), "cadre_a")
    response = cadre.get(f"/loans/village-lines/lines/{line.id}/take-up")
    assert response.status_code == 302 and "/consents/" in response.location


def test_a_cadre_of_another_village_cannot_see_the_line(client, county, csrf_on):
    _granted(client, county)
    line = _line(county["yang"])
    other = login_with_csrf(client.application.test_client(), "cadre_b")
    assert other.get(f"/loans/village-lines/lines/{line.id}/take-up").status_code == 404
    token = csrf_token(other.get("/dashboard").get_data(as_text=True))
    response = other.post(
        f"/loans/village-lines/lines/{line.id}/take-up", data={"csrf_token": token, "confirm": "y"}
    )
    assert response.status_code == 404
    assert other.get(f"/loans/village-lines/villages/{f.VILLAGE_A}").status_code == 404
    assert "杨建国" not in other.get(f"/loans/village-lines/villages/{f.VILLAGE_B}").get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0


def test_withdrawing_the_grant_ends_unused_lines_and_keeps_taken_up_ones(
    client, county, cadre_consent, csrf_on
):
    grant = _granted(client, county)
    cadre = login_with_csrf(client.application.test_client(), "cadre_a")
    yang = _line(county["yang"])
    url = f"/loans/village-lines/lines/{yang.id}/take-up"
    cadre.post(url, data={**form_fields(cadre.get(url).get_data(as_text=True)), "confirm": "y"})

    maker = login_with_csrf(client.application.test_client(), "maker")
    page = f"/loans/village-lines/grants/{grant.id}"
    response = post_form(maker, page, {"reason": ""}, action=f"{page}/withdraw")
    assert "请填写撤回原因" in maker.get(response.location).get_data(as_text=True)
    db.session.refresh(grant)
    assert grant.status == "approved"
    post_form(maker, page, {"reason": "村集体经济组织改组"}, action=f"{page}/withdraw")
    db.session.refresh(grant)
    assert grant.status == "withdrawn" and grant.withdrawn_by_id == county["maker"].id
    statuses = dict(db.session.execute(select(VillageLine.household_id, VillageLine.status)).all())
    assert statuses == {
        county["yang"].id: "taken_up",
        county["wang"].id: "withdrawn",
        county["zhao"].id: "withdrawn",
    }
    wang = _line(county["wang"])
    lf.make_consent(county["wang"].id, cadre_consent)
    db.session.commit()
    take = f"/loans/village-lines/lines/{wang.id}/take-up"
    assert "不能再申请用信" in cadre.get(take).get_data(as_text=True)


def test_one_line_is_withdrawn_by_its_bank(client, county, csrf_on):
    grant = _granted(client, county)
    line = _line(county["zhao"])
    maker = login_with_csrf(client.application.test_client(), "maker")
    post_form(
        maker,
        f"/loans/village-lines/grants/{grant.id}",
        {},
        action=f"/loans/village-lines/lines/{line.id}/withdraw",
    )
    db.session.refresh(line)
    assert line.status == "withdrawn"


def test_the_village_page_and_the_banks_uptake_show_the_use_of_the_lines(
    client, county, cadre_consent, csrf_on
):
    grant = _granted(client, county)
    cadre = login_with_csrf(client.application.test_client(), "cadre_a")
    line = _line(county["yang"])
    url = f"/loans/village-lines/lines/{line.id}/take-up"
    cadre.post(url, data={**form_fields(cadre.get(url).get_data(as_text=True)), "confirm": "y"})
    need = db.session.scalar(select(FinancingNeed))
    db.session.add(
        LoanDecision(
            need_id=need.id,
            bank_id=grant.bank_id,
            officer_id=county["checker"].id,
            outcome="approved",
            amount=Decimal("80000"),
            rate=Decimal("5.20"),
            term_months=36,
        )
    )
    db.session.commit()
    page = cadre.get(f"/loans/village-lines/villages/{f.VILLAGE_A}").get_data(as_text=True)
    assert "杨建国" in page and "王小明" in page and "80,000.00" in page
    assert "140,000.00" in page and "已申请用信" in page

    checker = login_with_csrf(client.application.test_client(), "checker")
    page = checker.get("/loans/village-lines/").get_data(as_text=True)
    assert "140,000.00" in page and "80,000.00" in page
    uptake = checker.get(f"/loans/village-lines/grants/{grant.id}").get_data(as_text=True)
    assert "1 / 3" in uptake


def test_officer_pages_are_for_officers(client, county):
    login(client, "cadre_a")
    assert client.get("/loans/village-lines/").status_code == 403
    assert client.get(_preview_url(county)).status_code == 403


# ---- the demo ------------------------------------------------------------------------------------


def test_the_demo_step_grants_one_credit_village_and_each_role_sees_it(client, users, cipher):
    from loans.village_lines.demo import seed_village_lines

    bank = lf.make_bank()
    users["officer"].bank_id = bank.id
    lf.make_officer("officer_2", bank)
    lf.make_product(bank, users["officer"], status="draft", code="ZC-1", product_type="village")
    households = [
        f.make_household(cipher, users["cadre"], head_name=name) for name in ("杨建国", "王小明")
    ]
    run = pf.make_run(users["office"], year=clock.today().year - 1)
    tree = pf.make_tree(run)
    for household, grade in zip(households, ("AAA", "AA"), strict=True):
        pf.make_result(run, household, 85, grade)
    db.session.commit()

    summary = seed_village_lines(1, clock.today())
    db.session.commit()
    assert summary["village"] == int(f.VILLAGE_A) and summary["lines"] == 2, summary
    assert tree[f.VILLAGE_A].publicity_ends_on < clock.today()  # its 公示 is over
    grant = db.session.scalar(select(VillageLineGrant))
    assert grant.status == "approved" and grant.approved_by_id != grant.prepared_by_id
    taken = db.session.scalar(
        select(func.count(VillageLine.id)).where(VillageLine.status == "taken_up")
    )
    assert taken == summary["taken_up"] == db.session.scalar(select(func.count(FinancingNeed.id)))

    login(client, "officer")
    assert "整村授信" in client.get("/officer/queue").get_data(as_text=True)
    client.post("/logout")
    login(client, "cadre_a")
    home = client.get("/dashboard").get_data(as_text=True)
    assert "village-lines-home" in home and "授信 2 户" in home
