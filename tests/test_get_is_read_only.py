"""A GET never changes domain state. Every GET page of the app (found in `app.url_map`, so a
new page is crawled without touching this test) is opened by every role over a small county
with households, an entity, an enterprise, departmental imports, a rating run under 公示
with an objection, a village whose 公示 is over but not yet applied, and a credit repair.
The only rows a page may write are audit rows for views of personal data."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from agri_credit.rating_cycle.objections import services as objections
from agri_credit.rating_cycle.repairs import services as repairs
from agri_credit.rating_cycle.rulesets.services import copy_as_new_version
from models import (
    CreditScore,
    ExportJob,
    ImportBatch,
    LoanDecision,
    RegionResultStatus,
    RepaymentEvent,
    ScoreJob,
    ScoreModel,
    ScoreModelActivation,
    Source,
    UploadBatch,
    VillageLine,
    VillageLineGrant,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import loans_factories as lf
from tests import publication_factories as pf
from tests.conftest import login
from tests.test_departmental_import import power_rows
from tests.test_departmental_pages import confirm_mapping, csv_bytes
from tests.test_departmental_pages import upload as upload_department_file
from tests.test_household_import import head, workbook
from tests.test_household_import import upload as upload_households

ROLES = ("cadre_a", "office_town", "office_county", "officer", "applicant")
NOT_PAGES = {"static", "assets.vendor"}  # files served from disk
# The bank API answers tokens, not sessions: tests/test_bank_api.py crawls its GETs.
NOT_SESSION_PAGES = "api."
# A few list views also with the filters that read grades and statuses.
QUERY_VARIANTS = {
    "households.index": ["", "?grade=AAA&sort=grade", "?grade=none"],
    "rating_cycle.objection_list": ["", "?status=all&overdue=1"],
    "rating_cycle.publication_index": ["", "?status=published"],
}
# Blueprints whose pages belong to another role than the county office.
JUDGED_BY = {
    "products": "officer",
    "needs": "applicant",
    "authorisations": "applicant",
    "consents": "cadre_a",
    "applicant": "applicant",
    "matching": "applicant",
    "review": "officer",
    "outcomes": "officer",
    "api_tokens": "officer",
    "village_lines": "officer",
    "loan_stats": "office_county",  # offices and officers; the county office sees it all
}
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|TRUNCATE)\b", re.I)
# Audit rows: the journal, and the authorisation use log a bank's view of a portrait writes.
AUDIT_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\"?(audit_events|authorisation_uses)\"?", re.I)


@pytest.fixture
def county(client, users, cipher):
    """Everything a page can show, built the way the app builds it where that is cheap."""
    cadre, office = users["cadre"], users["office"]
    today = clock.today()
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    wang = f.make_household(cipher, cadre, head_name="王小明")
    li = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    coop = f.make_entity(cipher, cadre, name="杨家村柿子专业合作社")
    enterprise = d.make_enterprise(cadre)

    rule_set = pf.make_rule_set(office)
    draft = copy_as_new_version(rule_set, office)
    run = pf.make_run(office, rule_set)
    tree = pf.make_tree(run)
    results = {
        "yang": pf.make_result(run, yang, 86.5, "AAA"),
        "wang": pf.make_result(run, wang, 58, None),
        "coop": pf.make_result(run, coop, 72, "AA"),
        "li": pf.make_result(run, li, 75, "AA"),
    }
    pf.publish(tree[f.VILLAGE_A], cadre, today - timedelta(days=2))  # under 公示
    pf.publish(tree[f.VILLAGE_B], users["cadre_b"], today - timedelta(days=10))  # over, unapplied
    objection = objections.raise_objection(
        results["wang"],
        raised_by_name="王小明",
        contact="13900002222",
        reason="去年务工收入未计入",
        user=cadre,
        today=today,
    )

    record_batch = d.make_batch(Source.PUBLIC_RECORD, office)
    record = d.public_record(
        d.key_for_household(yang),
        record_batch,
        "penalty",
        "未按规定使用农药",
        today - timedelta(days=200),
        severity="general",
    )
    repair = repairs.apply_for_repair(
        record,
        commitment="本人已缴清罚款，承诺今后依法使用农药。",
        evidence="缴清罚款500元，票据号 0012345",
        user=office,
        today=today,
    )
    # 信易贷: the officer's bank with a draft product, the applicant's household with a need,
    # its signed consent and an authorisation of the bank.
    bank = lf.make_bank()
    users["officer"].bank_id = bank.id
    product = lf.make_product(bank, users["officer"], product_type="village")  # its 额度表 too
    lf.make_product(bank, users["officer"], status="listed", code="XYD-09")  # matched below
    users["applicant"].subject_type, users["applicant"].subject_id = "household", yang.id
    need = lf.make_need("household", yang.id, f.VILLAGE_A, cadre)
    consent = lf.make_consent(yang.id, cadre)
    grant = lf.make_authorisation("household", yang.id, bank, cadre)
    model, score_job = _score_model_and_run(office, yang.id, today)
    approved = LoanDecision(  # a loan of the bank, with its disbursement
        need_id=need.id,
        bank_id=bank.id,
        officer_id=users["officer"].id,
        outcome="approved",
        amount=50_000,
        rate=4.35,
        term_months=12,
    )
    db.session.add(approved)
    db.session.flush()
    db.session.add(
        RepaymentEvent(
            decision_id=approved.id,
            kind="disbursed",
            occurred_on=today,
            recorded_by_id=users["officer"].id,
        )
    )
    # 整村授信: a grant of village A with the household's line.
    village_grant = VillageLineGrant(
        product_id=product.id,
        bank_id=bank.id,
        village_code=f.VILLAGE_A,
        year=run.year,
        region_rating_id=tree[f.VILLAGE_A].id,
        status="approved",
        valid_from=today,
        valid_to=today + timedelta(days=365),
        prepared_by_id=users["officer"].id,
    )
    db.session.add(village_grant)
    db.session.flush()
    line = VillageLine(
        grant_id=village_grant.id,
        household_id=yang.id,
        grade="AAA",
        grade_amount=100_000,
        amount=100_000,
        rate=5.2,
    )
    db.session.add(line)
    db.session.commit()

    # Departmental files and a household sheet go through the real upload pages.
    login(client, "office_county")
    head_id = cipher.decrypt(yang.head_id_cipher)
    imported = confirm_mapping(
        client, upload_department_file(client, csv_bytes(power_rows(head_id)))
    )
    assert imported.status_code == 302
    upload_department_file(client, csv_bytes(power_rows(head_id, months=2)))  # left unmapped
    client.post("/logout")
    login(client, "cadre_a")
    assert upload_households(client, workbook([head(head_name="赵新户")])).status_code == 302
    client.post("/logout")

    department_batch = db.session.scalar(
        select(ImportBatch).where(ImportBatch.source == Source.ELECTRICITY).order_by(ImportBatch.id)
    )
    pending_batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert department_batch.status == "imported" and pending_batch.status == "pending"
    assert tree[f.VILLAGE_B].status == RegionResultStatus.PUBLISHED
    # A finished results export of the county office (its file long cleaned up).
    export = ExportJob(
        kind="rating_results",
        run_id=run.id,
        scope_code=office.scope_code,
        requested_by_id=office.id,
        status="done",
        rows=1,
        filename="x.xlsx",
        fallback="x.xlsx",
    )
    db.session.add(export)
    db.session.commit()
    return {
        "household_id": yang.id,
        "entity_id": coop.id,
        "enterprise_id": enterprise.id,
        "rule_set_id": draft.id,
        "run_id": run.id,
        "code": f.VILLAGE_A,
        "result_id": results["yang"].id,
        "certificate_result_id": results["li"].id,  # 公示 over: effective, not yet applied
        "objection_id": objection.id,
        "repair_id": repair.id,
        "kind": "household",
        "subject_id": yang.id,
        "record_id": record.id,
        "batch_id": department_batch.id,
        "pending_batch_id": pending_batch.id,
        "upload_batch_id": db.session.scalar(select(UploadBatch.id)),
        "bank_id": bank.id,
        "product_id": product.id,
        "need_id": need.id,
        "consent_id": consent.id,
        "authorisation_id": grant.id,
        "model_id": model.id,
        "job_id": score_job.id,
        "export_job_id": export.id,
        "decision_id": approved.id,
        "grant_id": village_grant.id,
        "line_id": line.id,
    }


def _score_model_and_run(office, household_id: int, today) -> tuple[ScoreModel, ScoreJob]:
    """A stored default-risk model (its report reads only the stored metrics), active for
    households, a finished county scoring run with its PSI, and one household's score."""
    metrics = {
        "auc": 0.8,
        "ks": 0.45,
        "gini": 0.6,
        "brier": 0.05,
        "baseline_auc": 0.78,
        "rows": 1000,
        "roc": [[0, 0], [0.5, 0.9], [1, 1]],
        "calibration": [
            {"decile": 1, "loans": 100, "predicted": 0.01, "observed": 0.02, "gap": 0.01}
        ],
        "bands": [{"band": "600–649", "loans": 100, "observed": 0.03}],
        "importance": {"debt_ratio": 10.0},
        "by_subject_type": {"household": {"rows": 100, "auc": 0.8, "default_rate": 0.05}},
        "by_township": {f.TOWNSHIP_A[:9]: {"rows": 100, "auc": 0.8, "default_rate": 0.05}},
        "by_gender": {"男": {"rows": 60, "auc": 0.8, "points_mean": 650.0}},
    }
    model = ScoreModel(model_text="tree", subject_types=["household"], metrics=metrics)
    db.session.add(model)
    db.session.flush()
    db.session.add(ScoreModelActivation(subject_type="household", model_id=model.id, reason="首个"))
    run = ScoreJob(
        kind="score",
        as_of=today,
        status="done",
        result={
            "scored": {"household": 1},
            "models": {"household": model.id},
            "stability": {"household": {"points": {"psi": 0.12, "level": "关注"}}},
        },
        requested_by_id=office.id,
    )
    db.session.add(run)
    db.session.add(
        CreditScore(
            subject_type="household",
            subject_id=household_id,
            model_id=model.id,
            as_of=today,
            probability=0.03,
            points=640,
            reasons=[{"column": "debt_ratio", "sentence": "资产负债率为0.8", "points": -12}],
        )
    )
    db.session.flush()
    return model, run


def _value(endpoint: str, argument: str, ids: dict) -> object:
    if argument == "kind" and endpoint.startswith("household_import."):
        return "evaluations"  # the bulk sheets' pages, one kind standing for all
    if argument == "batch_id" and endpoint.startswith("household_import."):
        return ids["upload_batch_id"]
    if endpoint == "departmental.mapping" and argument == "batch_id":
        return ids["pending_batch_id"]
    if endpoint.startswith("rating_cycle.export_") and argument == "job_id":
        return ids["export_job_id"]
    if endpoint == "rating_cycle.certificate" and argument == "result_id":
        return ids["certificate_result_id"]
    return ids[argument]


def get_pages(app, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, its parameters filled from `ids`."""
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            if rule.endpoint.startswith(NOT_SESSION_PAGES):
                continue
            values = {a: _value(rule.endpoint, a, ids) for a in rule.arguments}
            url = app.url_for(rule.endpoint, **values)
            for query in QUERY_VARIANTS.get(rule.endpoint, [""]):
                pages.append((rule.endpoint, url + query))
    return sorted(pages)


@pytest.mark.real_commits  # its county imports a departmental file (the importer's own connection)
def test_no_get_page_of_any_role_writes_anything_but_audit_rows(app, client, county):
    pages = get_pages(app, county)
    writes: list[str] = []
    statuses: dict[str, dict[str, int]] = {}
    current: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if current and WRITE.match(statement) and not AUDIT_INSERT.match(statement):
            writes.append(f"{current[0]}: {statement.split(chr(10))[0][:120]}")

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        for username in ROLES:
            login(client, username)
            for _endpoint, url in pages:
                current[:] = [f"{username} GET {url}"]
                statuses.setdefault(username, {})[url] = client.get(url).status_code
                current.clear()
            client.post("/logout")
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)

    visits = sum(len(by_url) for by_url in statuses.values())
    print(f"\nGET pages checked: {len(pages)} URLs x {len(ROLES)} roles = {visits} visits")
    assert writes == []
    assert len(pages) >= 50 and visits == len(pages) * len(ROLES)
    # The crawl really reached the pages: the county office opens nearly all of them, and a
    # page that failed would show here, not pass silently.
    # Pages of the other roles' rooms (信易贷) are judged by the role they are for.
    judge = {url: JUDGED_BY.get(endpoint.split(".")[0], "office_county") for endpoint, url in pages}
    not_ok = {url: code for url, role in judge.items() if (code := statuses[role][url]) != 200}
    assert len(not_ok) <= len(judge) // 10, not_ok
    errors = {
        (role, u): c for role, by_url in statuses.items() for u, c in by_url.items() if c >= 500
    }
    assert not errors, errors
    # The offices' and cadre's own pages (not the banks' or applicants' rooms): the three of
    # them read most of those.
    office_pages = [url for url, role in judge.items() if role == "office_county"]
    ok_total = sum(
        statuses[role][url] == 200
        for role in ("cadre_a", "office_town", "office_county")
        for url in office_pages
    )
    assert ok_total >= len(office_pages) * 2, statuses
    own = {u: c for u, c in statuses["applicant"].items() if u.startswith("/my/")}
    assert [u for u, c in own.items() if c != 200] == [f"/my/objections/{county['objection_id']}"]
