"""The default-risk score's pages (issue 14 points 4, 5, 8, 9), through the routes with CSRF
on: the county credit office trains from a button (inline without Redis) and reads the
model's report as a page with charts and as a PDF, promotes or rolls back a model per
subject type with a written reason, scores the county and sees the population stability;
a file page shows the subject's current score to the county office, audited."""

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from loans.scoring.registry import active_model, save_model
from loans.scoring.synthetic import synthetic_book
from loans.scoring.synthetic_county import build_synthetic_county
from loans.scoring.training import TrainSettings, train_model
from loans.scoring_pages import jobs
from loans.scoring_pages.report import build_report
from models import (
    AuditEvent,
    CreditScore,
    Household,
    ScoreJob,
    ScoreModel,
    ScoreModelActivation,
    clock,
    db,
)
from tests.conftest import csrf_token, login
from tests.test_departmental_pages import redis_queue  # noqa: F401 - fixture

AS_OF = date(2026, 6, 30)


@pytest.fixture
def county(app, users, monkeypatch):
    monkeypatch.setitem(app.config, "SCORING_TEST_SHARE", 0.3)
    monkeypatch.setitem(app.config, "SCORING_VALID_SHARE", 0.2)
    monkeypatch.setitem(app.config, "SCORING_COMPARE_PER_TYPE", True)
    # The buttons train and score "as of today": the county's today is the fixture's date.
    monkeypatch.setattr(clock, "today", lambda: AS_OF)
    return build_synthetic_county(
        users["office"], AS_OF, households=500, entities=120, enterprises=120, months=36, seed=5
    )


def _post(client, page_url: str, url: str, data: dict):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    assert token, "the page carries a CSRF token"
    return client.post(url, data={"csrf_token": token, **data})


def _quick_model(user, seed: int = 1) -> ScoreModel:
    """A model trained in a second on a synthetic book (no county needed), stored."""
    book = synthetic_book(3000, seed=seed)
    model = train_model(
        book.features,
        book.default,
        book.start_on,
        TrainSettings(baseline=False, num_boost_round=30),
    )
    row = save_model(model, user)
    db.session.commit()
    return row


def test_only_the_county_office_opens_the_model_pages(client, users):
    model = _quick_model(users["office"])
    for username in ("office_town", "cadre_a", "officer", "applicant"):
        login(client, username)
        assert client.get("/scoring/models").status_code == 403
        assert client.get(f"/scoring/models/{model.id}/report.pdf").status_code == 403
        assert client.post("/scoring/jobs", data={"kind": "train"}).status_code == 403
        promote = {"promote-subject_type": "household", "promote-reason": "越权"}
        assert client.post(f"/scoring/models/{model.id}/promote", data=promote).status_code == 403
        client.post("/logout")
    assert db.session.scalar(select(func.count()).select_from(ScoreJob)) == 0
    assert active_model("household") is None
    login(client, "office_county")
    page = client.get("/scoring/models").get_data(as_text=True)
    assert f"v{model.id}" in page and "未启用模型" in page


def test_train_button_trains_reports_and_scores_the_county(client, csrf_on, county, users):
    login(client, "office_county")
    response = _post(client, "/scoring/models", "/scoring/jobs", {"kind": "train"})
    assert response.status_code == 302
    job = db.session.scalars(select(ScoreJob)).one()
    assert response.headers["Location"].endswith(f"/scoring/jobs/{job.id}")
    # Without Redis the run happened inline; its page says what came out.
    assert job.status == "done" and job.fraction == 1.0 and job.model_id
    page = client.get(f"/scoring/jobs/{job.id}").get_data(as_text=True)
    assert "任务已完成" in page and f"/scoring/models/{job.model_id}" in page
    assert json.loads(client.get(f"/scoring/jobs/{job.id}/progress").data)["finished"] is True

    model = db.session.get(ScoreModel, job.model_id)
    assert model.trained_by.username == "office_county"
    listing = client.get("/scoring/models").get_data(as_text=True)
    assert f"v{model.id}" in listing and model.window["train_from"] in listing

    report = client.get(f"/scoring/models/{model.id}").get_data(as_text=True)
    # Headline figures beside the WOE-logistic baseline, and a plain verdict either way.
    assert f"{model.metrics['auc']:.4f}" in report
    assert f"{model.metrics['baseline_auc']:.4f}" in report
    assert ("LightGBM 优于" in report) != ("LightGBM 没有优于" in report)
    # Calibration per decile, bands, ROC and importance charts with Chinese feature names.
    assert report.count("<tr><td>") >= 10
    for chart in ("ROC 曲线", "校准", "各分数段违约率", "特征重要性"):
        assert f'aria-label="{chart}"' in report
    assert "echarts.min.js" in report
    top = next(iter(model.metrics["importance"]))
    from loans.scoring.catalog import BY_COLUMN

    assert BY_COLUMN[top].name in report
    # Per subject type, per township (named), and the fairness check by gender.
    assert "新型农业经营主体" in report and "庄里镇" in report and "张桥镇" in report
    assert set(model.metrics["by_gender"]) >= {"男", "女"}
    assert "公平性检查" in report
    # One model with the type as a feature, beside one model per type, per type.
    assert set(model.metrics["per_type"]) == {"household", "entity", "enterprise"}
    households = model.metrics["per_type"]["household"]
    assert households["pooled_auc"] and households["separate_auc"], model.metrics["per_type"]
    assert "一个模型还是每类一个模型" in report and "单独模型 AUC" in report
    assert "还没有用此模型进行过全县评分" in report

    pdf = client.get(f"/scoring/models/{model.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")

    # Promote for households only, with a reason; then score the county now.
    response = _post(
        client,
        f"/scoring/models/{model.id}",
        f"/scoring/models/{model.id}/promote",
        {"promote-subject_type": "household", "promote-reason": "首个模型，测试期 AUC 达标"},
    )
    assert response.status_code == 302
    assert active_model("household").id == model.id and active_model("entity") is None
    response = _post(client, "/scoring/models", "/scoring/jobs", {"kind": "score"})
    run = db.session.scalars(select(ScoreJob).where(ScoreJob.kind == "score")).one()
    assert run.status == "done", run.message
    assert run.result["scored"] == {"household": 500}
    assert db.session.scalar(select(func.count()).select_from(CreditScore)) == 500

    # The model page now shows the population stability of the score and top features.
    report = client.get(f"/scoring/models/{model.id}").get_data(as_text=True)
    assert "评分（分数）" in report and f"评分任务 #{run.id}" in report
    levels = [v["level"] for v in run.result["stability"]["household"].values()]
    assert len(levels) == 11 and set(levels) <= {"稳定", "关注", "偏移"}

    # A household's file shows its score, band and reasons to the county office, audited.
    household = db.session.scalars(select(Household).order_by(Household.id)).first()
    score = db.session.scalars(
        select(CreditScore).where(CreditScore.subject_id == household.id)
    ).one()
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "违约风险评分" in page and f'<span class="stat-number">{score.points}</span>' in page
    assert score.reasons[0]["sentence"] in page
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credit_score.view")
    ).all()
    assert [(e.subject_type, e.subject_id) for e in viewed] == [("household", household.id)]
    # An entity has no score yet (no model active for entities): 暂无评分.
    entity_page = client.get("/entities/1").get_data(as_text=True)
    assert "暂无评分" in entity_page


def test_a_cadre_does_not_see_the_score_panel(client, app, users, cipher):
    from tests.factories import make_household

    household = make_household(cipher, users["cadre"])
    db.session.commit()
    login(client, "cadre_a")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "违约风险评分" not in page
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credit_score.view")
    ).all()


def test_promote_and_rollback_need_a_written_reason(client, csrf_on, users):
    first = _quick_model(users["office"], seed=1)
    second = _quick_model(users["office"], seed=2)
    login(client, "office_county")
    url = f"/scoring/models/{first.id}"
    response = _post(
        client,
        url,
        f"{url}/promote",
        {"promote-subject_type": "enterprise", "promote-reason": "  "},
    )
    assert response.status_code == 400
    assert "请填写启用或回退模型的理由" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ScoreModelActivation)) == 0
    # A made-up subject type changes nothing either.
    response = _post(
        client, url, f"{url}/promote", {"promote-subject_type": "bank", "promote-reason": "x"}
    )
    assert response.status_code == 400 and "请选择主体类别" in response.get_data(as_text=True)

    for model, reason in ((first, "首个模型"), (second, "新模型在近期贷款上更准")):
        page = f"/scoring/models/{model.id}"
        response = _post(
            client,
            page,
            f"{page}/promote",
            {"promote-subject_type": "enterprise", "promote-reason": reason},
        )
        assert response.status_code == 302
    assert active_model("enterprise").id == second.id
    listing = client.get("/scoring/models").get_data(as_text=True)
    assert f'href="/scoring/models/{second.id}">v{second.id}</a>' in listing

    page = f"/scoring/models/{second.id}"
    response = _post(
        client, page, f"{page}/rollback", {"back-subject_type": "enterprise", "back-reason": ""}
    )
    assert response.status_code == 400 and active_model("enterprise").id == second.id
    response = _post(
        client,
        page,
        f"{page}/rollback",
        {"back-subject_type": "enterprise", "back-reason": "新模型对小微企业评分偏低"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/scoring/models/{first.id}")
    assert active_model("enterprise").id == first.id
    # Nothing earlier to go back to for households: said, nothing changed.
    response = _post(
        client, page, f"{page}/rollback", {"back-subject_type": "household", "back-reason": "试"}
    )
    assert response.status_code == 400 and "没有可回退的上一个模型" in response.get_data(
        as_text=True
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "score_model.promote").order_by(AuditEvent.id)
    ).all()
    assert [e.changes["reason"] for e in events] == [
        "首个模型",
        "新模型在近期贷款上更准",
        "新模型对小微企业评分偏低",
    ]
    assert all(e.user_id == users["office"].id for e in events)
    history = client.get(f"/scoring/models/{first.id}").get_data(as_text=True)
    assert "新模型对小微企业评分偏低" in history and "当前启用" in history


def test_a_training_without_enough_loans_fails_with_its_reason(client, csrf_on, users):
    login(client, "office_county")
    assert "还没有训练过模型" in client.get("/scoring/models").get_data(as_text=True)
    _post(client, "/scoring/models", "/scoring/jobs", {"kind": "train"})
    job = db.session.scalars(select(ScoreJob)).one()
    # Stored as the catalog's sentence and its figures, said in the reader's language
    assert job.status == "failed" and job.message.startswith("已标注的贷款只有%(n)s笔")
    assert job.result["message_params"] == {"n": 0, "minimum": 200}
    assert db.session.scalar(select(func.count()).select_from(ScoreModel)) == 0
    page = client.get(f"/scoring/jobs/{job.id}").get_data(as_text=True)
    assert "任务失败" in page and "已标注的贷款只有0笔" in page
    refresh()  # the tests share one app context: forget the locale the last request cached
    page = client.get(f"/scoring/jobs/{job.id}?lang=en").get_data(as_text=True)
    assert "Only 0 labelled loans" in page and "已标注" not in page


def test_a_run_is_refused_while_another_of_its_kind_is_going(client, csrf_on, users):
    db.session.add(ScoreJob(kind="score", as_of=AS_OF, status="running", result={}))
    db.session.commit()
    login(client, "office_county")
    response = _post(client, "/scoring/models", "/scoring/jobs", {"kind": "score"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ScoreJob)) == 1
    assert "已有一个评分任务正在运行" in client.get("/scoring/models").get_data(as_text=True)


def test_rq_failure_callback_marks_the_run_failed(app, users):
    run = ScoreJob(kind="train", as_of=AS_OF, status="running", result={}, job_id="score-1-x")
    db.session.add(run)
    db.session.commit()
    # A run whose process vanished without a callback shows as failed after the timeout.
    run.created_at = run.created_at - timedelta(seconds=jobs.JOB_TIMEOUT + 60)
    db.session.commit()
    assert jobs.progress_state(run)["status"] == "failed" and jobs.running("train") is None
    jobs.score_job_failed(SimpleNamespace(args=(run.id,), id="score-1-x"), None)
    db.session.refresh(run)
    assert run.status == "failed" and run.message == jobs.LOST_MESSAGE
    state = jobs.progress_state(run)
    assert state["finished"] and state["fraction"] == 1.0


def test_report_says_plainly_when_lightgbm_does_not_beat_the_baseline():
    metrics = {"auc": 0.71, "baseline_auc": 0.72, "ks": 0.3, "importance": {"tax_amount_12m": 5}}
    assert build_report(metrics, {}).beats_baseline is False
    assert build_report({**metrics, "auc": 0.73}, {}).beats_baseline is True
    assert build_report({"auc": 0.7}, {}).beats_baseline is None


def test_the_page_and_pdf_say_so_when_lightgbm_loses(client, users):
    row = _quick_model(users["office"])
    row.metrics = {**row.metrics, "auc": 0.70, "baseline_auc": 0.74, "true_probability_auc": 0.7712}
    db.session.commit()
    login(client, "office_county")
    page = client.get(f"/scoring/models/{row.id}").get_data(as_text=True)
    assert "LightGBM 没有优于 WOE 逻辑回归评分卡" in page
    # Where the demo truth is known, the best AUC any model could reach is shown beside it.
    assert "真实违约概率的 AUC：0.7712" in page
    pdf = client.get(f"/scoring/models/{row.id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_score_panel_partial_serves_other_pages_too(app, users, cipher):
    """The applicant's and the bank's pages include the same panel once they have decided
    the viewer may see the subject's score; each look is journalled."""
    from loans.scoring_pages.panel import render_score_panel
    from tests.factories import make_household

    household = make_household(cipher, users["cadre"])
    model = _quick_model(users["office"])
    with app.test_request_context():
        assert "暂无评分" in render_score_panel("household", household.id, users["applicant"])
        db.session.add(
            CreditScore(
                subject_type="household",
                subject_id=household.id,
                model_id=model.id,
                as_of=AS_OF,
                probability=0.02,
                points=600,
                reasons=[{"column": "tax_grade", "sentence": "纳税信用等级为A", "points": 9}],
            )
        )
        db.session.flush()
        html = render_score_panel("household", household.id, users["applicant"])
    assert (
        ">600<" in html
        and "较低风险" in html
        and "588–619" in html
        and "纳税信用等级为A" in html
        and "+9" in html
    )
    db.session.commit()
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credit_score.view")
    ).all()
    assert [e.user_id for e in views] == [users["applicant"].id] * 2


def test_with_redis_a_run_goes_to_a_worker_and_reports_progress(
    client,
    csrf_on,
    users,
    cipher,
    redis_queue,  # noqa: F811 - the imported fixture
):
    from rq import SimpleWorker

    from loans.scoring.registry import promote
    from tests.factories import make_household

    household = make_household(cipher, users["cadre"])
    model = _quick_model(users["office"])
    promote(model, "household", users["office"], "首个模型")
    db.session.commit()
    login(client, "office_county")
    response = _post(client, "/scoring/models", "/scoring/jobs", {"kind": "score"})
    run = db.session.scalars(select(ScoreJob)).one()
    assert run.status == "queued" and run.job_id.startswith(f"score-{run.id}-")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="score-job-card"' in page and "score_job_progress.js" in page
    assert client.get(f"/scoring/jobs/{run.id}/progress").json["finished"] is False

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    state = client.get(f"/scoring/jobs/{run.id}/progress").json
    assert state["finished"] is True and state["status"] == "done", state
    db.session.expire_all()
    assert db.session.get(ScoreJob, run.id).result["scored"] == {"household": 1}
    score = db.session.scalars(select(CreditScore)).one()
    assert (score.subject_id, score.model_id) == (household.id, model.id)
