"""信易贷 matching through the pages (issue 15 points 3 and 4): the applicant sees the
eligible products ranked and why each other product does not fit; results follow every change
of a need, a product, a grade or a score; an officer sees only needs matched to his bank's
products whose subjects authorised his bank, claims one (抢单) for three working days, opens
the portrait only while an authorisation covers it (each view logged), and decides; the
applicant sees the outcome and reason and may ask for a human review."""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from agri_credit.rating_cycle.publication.services import write_grades
from loans.matching.applicant import need_matches
from loans.scoring.signals import scores_stored
from models import (
    AuthorisationUse,
    CreditScore,
    FinancingNeed,
    LoanDecision,
    MatchResult,
    NeedClaim,
    ScoreModel,
    clock,
    db,
)
from tests import factories as f
from tests import loans_factories as lf
from tests.conftest import csrf_token, login


@pytest.fixture
def lending(users, cipher):
    """Household 杨建国 (the applicant) needs 5万 for 24 months. Bank A lists a product that
    fits and one capped at 12 months; bank B lists one that fits. Only bank A is authorised."""
    cadre = users["cadre"]
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    users["applicant"].subject_type, users["applicant"].subject_id = "household", yang.id
    bank_a, bank_b = lf.make_bank(), lf.make_bank("富平县邮储银行", "邮储银行")
    users["officer"].bank_id = bank_a.id
    officer_b = lf.make_officer("officer_b", bank_b)
    fits = lf.make_product(bank_a, users["officer"], status="listed", name="惠农e贷")
    short = lf.make_product(
        bank_a,
        users["officer"],
        status="listed",
        code="XYD-02",
        name="短期周转贷",
        term_max_months=12,
    )
    other = lf.make_product(bank_b, officer_b, status="listed", code="YC-01", name="邮储极速贷")
    need = lf.make_need(
        "household", yang.id, f.VILLAGE_A, cadre, amount=Decimal("50000"), term_months=24
    )
    lf.make_consent(yang.id, cadre)
    grant = lf.make_authorisation(
        "household", yang.id, bank_a, cadre, categories=["file", "rating", "score", "records"]
    )
    db.session.commit()
    return SimpleNamespace(
        yang=yang,
        need=need,
        fits=fits,
        short=short,
        other=other,
        bank_a=bank_a,
        bank_b=bank_b,
        officer_b=officer_b,
        grant=grant,
    )


def switch(client, username: str):
    """Sign out whoever is signed in, then sign in as `username`."""
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token} if token else {})
    return login(client, username)


def results(need_id: int) -> dict[int, MatchResult]:
    db.session.expire_all()
    rows = db.session.scalars(select(MatchResult).where(MatchResult.need_id == need_id))
    return {r.product_id: r for r in rows}


def post(client, page_url: str, action: str, data: dict | None = None):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={**(data or {}), "csrf_token": token})


def test_the_applicant_sees_fitting_products_ranked_and_why_the_others_do_not_fit(
    client, lending, csrf_on
):
    login(client, "applicant")
    page = client.get(f"/needs/{lending.need.id}/matches").get_data(as_text=True)
    assert "符合条件的产品（2）" in page
    assert page.index("惠农e贷") < page.index("不符合条件的产品（1）")
    assert "申请期限24个月，超出该产品上限12个月" in page
    assert "暂无评分" in page  # no model has scored her yet; the ranking works without it
    detail = client.get(f"/loans/needs/{lending.need.id}").get_data(as_text=True)
    assert '<strong class="eligible-count">2</strong>' in detail


def test_another_applicant_and_another_villages_cadre_get_404(client, lending, users):
    login(client, "cadre_b")
    assert client.get(f"/needs/{lending.need.id}/matches").status_code == 404
    switch(client, "cadre_a")
    assert client.get(f"/needs/{lending.need.id}/matches").status_code == 200
    switch(client, "officer")
    assert client.get(f"/needs/{lending.need.id}/matches").status_code == 403


def failed_rules(need: FinancingNeed) -> dict[int, int]:
    """Per listed product, the failure bitmask the applicant's page explains for the need
    (computed on demand: only eligible pairs are stored)."""
    db.session.expire_all()
    matches = need_matches(need, clock.today(), str)
    return {
        line.product.id: line.explanation.failures
        for line in [*matches.eligible, *matches.not_fitting]
    }


def test_eligible_pairs_are_stored_and_follow_every_change_of_their_data(lending):
    stored = results(lending.need.id)
    assert set(stored) == {lending.fits.id, lending.other.id}  # the short product does not fit
    assert stored[lending.fits.id].failures == 0 and stored[lending.fits.id].rank > 0
    assert failed_rules(lending.need)[lending.short.id] == 1 << 5

    lending.short.term_max_months = 36  # a product changes
    lending.short.version += 1
    db.session.commit()
    assert results(lending.need.id)[lending.short.id].rank > 0
    assert failed_rules(lending.need)[lending.short.id] == 0

    lending.need.term_months = 48  # the need changes
    lending.need.version += 1
    db.session.commit()
    assert results(lending.need.id) == {}  # nothing fits 48 months
    assert all(failed_rules(lending.need).values())

    lending.need.term_months = 24
    lending.need.version += 1
    db.session.commit()
    assert {r.need_version for r in results(lending.need.id).values()} == {lending.need.version}

    lending.need.status = "withdrawn"  # a need leaves the pool: its results go
    db.session.commit()
    assert results(lending.need.id) == {}


def test_matching_reruns_when_a_grade_or_a_score_is_written(lending):
    lending.fits.min_grade, lending.fits.min_score = "AA", 600
    db.session.commit()
    # No grade yet; no score either, and an applicant without one is not held to a minimum.
    assert lending.fits.id not in results(lending.need.id)
    assert failed_rules(lending.need)[lending.fits.id] == 1 << 6

    write_grades([SimpleNamespace(household_id=lending.yang.id, entity_id=None, grade="AAA")], 2026)
    assert results(lending.need.id)[lending.fits.id].rank > 0

    model = ScoreModel(subject_types=["household"], model_text="")
    db.session.add(model)
    db.session.flush()
    for points in (580, 655):
        db.session.add(
            CreditScore(
                subject_type="household",
                subject_id=lending.yang.id,
                model_id=model.id,
                as_of=clock.today(),
                probability=0.02,
                points=points,
                reasons=[],
            )
        )
        db.session.flush()
        scores_stored.send(None, subject_type="household", subject_ids=[lending.yang.id])
        stored = results(lending.need.id)
        assert stored[lending.other.id].score_points == points
        assert (lending.fits.id in stored) == (points >= 600)
        assert failed_rules(lending.need)[lending.fits.id] == (1 << 7 if points < 600 else 0)


def test_the_queue_shows_only_authorised_needs_matched_to_the_banks_products(
    client, lending, users
):
    login(client, "officer")
    assert client.get("/dashboard").headers["Location"].endswith("/officer/queue")
    page = client.get("/officer/queue").get_data(as_text=True)
    assert f'data-need="{lending.need.id}"' in page and "惠农e贷" in page
    assert (
        client.get(f"/officer/queue?product={lending.short.id}")
        .get_data(as_text=True)
        .count("queue-row")
        == 0
    )  # filtered to a product the need does not fit

    switch(client, "officer_b")  # bank B's product fits, but bank B was never authorised
    assert f'data-need="{lending.need.id}"' not in client.get("/officer/queue").get_data(
        as_text=True
    )
    assert client.get(f"/officer/needs/{lending.need.id}").status_code == 404
    assert client.post(f"/officer/needs/{lending.need.id}/claim").status_code == 404


def test_one_bank_claims_for_three_working_days_then_the_need_returns_to_the_pool(
    client, lending, users, csrf_on
):
    lf.make_authorisation("household", lending.yang.id, lending.bank_b, users["cadre"])
    db.session.commit()
    login(client, "officer")
    response = post(client, "/officer/queue", f"/officer/needs/{lending.need.id}/claim")
    assert response.status_code == 302
    claim = db.session.get(NeedClaim, lending.need.id)
    assert claim.bank_id == lending.bank_a.id
    assert claim.claimed_until - clock.utcnow() >= timedelta(days=3)

    switch(client, "officer_b")
    assert f'data-need="{lending.need.id}"' not in client.get("/officer/queue").get_data(
        as_text=True
    )
    post(client, "/officer/queue", f"/officer/needs/{lending.need.id}/claim")
    db.session.expire_all()
    assert db.session.get(NeedClaim, lending.need.id).bank_id == lending.bank_a.id

    claim.claimed_until = clock.utcnow() - timedelta(minutes=1)  # the claim ran out
    db.session.commit()
    assert f'data-need="{lending.need.id}"' in client.get("/officer/queue").get_data(as_text=True)
    post(client, "/officer/queue", f"/officer/needs/{lending.need.id}/claim")
    db.session.expire_all()
    assert db.session.get(NeedClaim, lending.need.id).bank_id == lending.bank_b.id


def test_a_bank_cannot_claim_again_once_the_authorisation_is_revoked(
    client, lending, users, csrf_on
):
    login(client, "officer")
    post(client, "/officer/queue", f"/officer/needs/{lending.need.id}/claim")
    claim = db.session.get(NeedClaim, lending.need.id)
    claim.claimed_until = clock.utcnow() - timedelta(minutes=1)  # the claim ran out
    lending.grant.revoked_at = clock.utcnow()  # and the applicant withdrew consent
    db.session.commit()
    expired = claim.claimed_until
    post(client, "/officer/queue", f"/officer/needs/{lending.need.id}/claim")
    db.session.expire_all()
    assert db.session.get(NeedClaim, lending.need.id).claimed_until == expired  # not renewed


def uses() -> int:
    return db.session.scalar(select(func.count()).select_from(AuthorisationUse))


def test_the_portrait_logs_every_view_and_closes_at_once_when_revoked(client, lending, users):
    login(client, "officer")
    before = uses()
    page = client.get(f"/officer/needs/{lending.need.id}").get_data(as_text=True)
    assert "杨建国" in page and lending.yang.head_id_masked in page
    assert "暂无评分" in page
    assert uses() == before + 4  # file, rating, score, records: each category read is logged
    client.get(f"/officer/needs/{lending.need.id}")
    assert uses() == before + 8

    lending.grant.revoked_at = clock.utcnow()
    db.session.commit()
    assert client.get(f"/officer/needs/{lending.need.id}").status_code == 404
    assert uses() == before + 8


def test_an_expired_authorisation_closes_the_portrait(client, lending):
    lending.grant.expires_at = clock.utcnow() - timedelta(seconds=1)
    db.session.commit()
    login(client, "officer")
    assert client.get(f"/officer/needs/{lending.need.id}").status_code == 404
    assert f'data-need="{lending.need.id}"' not in client.get("/officer/queue").get_data(
        as_text=True
    )


def test_a_decision_needs_the_claim_and_valid_input_and_the_applicant_sees_it(
    client, lending, csrf_on
):
    login(client, "officer")
    portrait = f"/officer/needs/{lending.need.id}"
    action = f"/officer/needs/{lending.need.id}/decision"
    post(client, portrait, action, {"outcome": "rejected", "reason_code": "high_debt"})
    assert db.session.scalar(select(func.count()).select_from(LoanDecision)) == 0  # no claim

    post(client, portrait, f"/officer/needs/{lending.need.id}/claim")
    bad = post(client, portrait, action, {"outcome": "approved", "amount": "-5", "rate": ""})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "金额应在1元至1亿元之间" in text and "批准时请填写年利率" in text
    assert "批准时请填写期限" in text
    assert db.session.scalar(select(func.count()).select_from(LoanDecision)) == 0

    post(
        client,
        portrait,
        action,
        {"outcome": "rejected", "reason_code": "high_debt", "reason_text": "现有负债较高"},
    )
    decision = db.session.scalar(select(LoanDecision))
    assert decision.outcome == "rejected" and decision.bank_id == lending.bank_a.id
    db.session.expire_all()
    assert db.session.get(NeedClaim, lending.need.id).released_at is not None

    switch(client, "applicant")
    matches = f"/needs/{lending.need.id}/matches"
    page = client.get(matches).get_data(as_text=True)
    assert "拒绝" in page and "负债率过高" in page and "现有负债较高" in page
    review = f"/needs/{lending.need.id}/decisions/{decision.id}/review"
    post(client, matches, review, {"note": "负债已结清"})
    post(client, matches, review, {"note": "再次申请"})
    db.session.expire_all()
    decision = db.session.get(LoanDecision, decision.id)
    assert decision.review_requested_at is not None and decision.review_note == "负债已结清"


def test_an_approval_takes_the_need_out_of_the_pool(client, lending, csrf_on):
    login(client, "officer")
    portrait = f"/officer/needs/{lending.need.id}"
    post(client, portrait, f"/officer/needs/{lending.need.id}/claim")
    post(
        client,
        portrait,
        f"/officer/needs/{lending.need.id}/decision",
        {"outcome": "approved", "amount": "50000", "rate": "4.35", "term_months": "24"},
    )
    db.session.expire_all()
    assert db.session.get(FinancingNeed, lending.need.id).status == "approved"
    assert results(lending.need.id) == {}
    assert "queue-row" not in client.get("/officer/queue").get_data(as_text=True)
    switch(client, "applicant")
    page = client.get(f"/needs/{lending.need.id}/matches").get_data(as_text=True)
    assert "批准金额 50,000.00 元，年利率 4.35%，期限 24 个月" in page


def test_the_product_page_counts_the_open_needs_it_matches_now(client, lending):
    login(client, "officer")
    page = client.get(f"/loans/products/{lending.fits.id}").get_data(as_text=True)
    assert 'class="fs-4 fw-semibold open-matches">1<' in page
    page = client.get(f"/loans/products/{lending.short.id}").get_data(as_text=True)
    assert 'class="fs-4 fw-semibold open-matches">0<' in page


def test_the_queue_filters_and_pages_by_fifty(client, users, cipher):
    """60 authorised needs of one bank: highest score first, 50 to a page; filters by
    product, township, amount, grade, score band and claim."""
    cadre = users["cadre"]
    bank = lf.make_bank()
    users["officer"].bank_id = bank.id
    small = lf.make_product(bank, users["officer"], status="listed", amount_max=Decimal("100000"))
    big = lf.make_product(
        bank,
        users["officer"],
        status="listed",
        code="XYD-02",
        amount_min=Decimal("100000"),
        amount_max=Decimal("1000000"),
    )
    model = ScoreModel(subject_types=["household"], model_text="")
    db.session.add(model)
    db.session.flush()
    needs = []
    for i in range(60):
        village = f.VILLAGE_A if i % 2 else f.VILLAGE_C
        home = f.make_household(cipher, cadre, village_code=village, head_name=f"户{i}")
        home.credit_grade = "AA" if i < 10 else "A"
        needs.append(
            lf.make_need("household", home.id, village, cadre, amount=Decimal(20_000 + 5_000 * i))
        )
        lf.make_authorisation("household", home.id, bank, cadre)
        db.session.add(
            CreditScore(
                subject_type="household",
                subject_id=home.id,
                model_id=model.id,
                as_of=clock.today(),
                probability=0.05,
                points=560 + 2 * i,
                reasons=[],
            )
        )
    db.session.commit()
    login(client, "officer")

    def shown(query: str = "") -> list[int]:
        page = client.get(f"/officer/queue{query}").get_data(as_text=True)
        return [int(n) for n in re.findall(r'data-need="(\d+)"', page)]

    first = shown()
    assert len(first) == 50 and first[0] == needs[-1].id  # the best score first
    assert len(shown("?page=2")) == 10
    assert set(shown(f"?product={big.id}")) == {n.id for n in needs if n.amount >= 100_000}
    assert set(shown(f"?product={small.id}")) == {n.id for n in needs if n.amount <= 100_000}
    assert set(shown(f"?region={f.TOWNSHIP_B}")) == {n.id for n in needs[::2]}
    assert set(shown("?amount_min=10&amount_max=20")) == {
        n.id for n in needs if 100_000 <= n.amount <= 200_000
    }
    assert set(shown("?grade=AA")) == {n.id for n in needs[:10]}
    assert set(shown("?score=600-650")) == {n.id for n in needs[20:45]}
    assert shown("?claimed=mine") == []
    assert shown("?score=bogus&grade=Z&product=999999") == first  # unknown choices are ignored
