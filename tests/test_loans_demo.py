"""`flask seed-demo` gives every 信易贷 role work on its first page (issue 15 point 9, the
banks, products, needs and authorisations part)."""

from pathlib import Path

from sqlalchemy import func, select

from agri_credit.demo import DEMO_PASSWORD
from loans.api.tokens import hash_secret
from loans.demo import INDUSTRY_PURPOSES
from models import (
    ApiToken,
    Authorisation,
    Bank,
    Enterprise,
    FinancingNeed,
    HouseholdConsent,
    LoanDecision,
    LoanProduct,
    RepaymentEvent,
    User,
    db,
)
from tests.conftest import csrf_token


def log_in(client, username: str) -> None:
    data = {"username": username, "password": DEMO_PASSWORD}
    data["csrf_token"] = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data=data).status_code == 302


def test_seed_demo_adds_banks_products_needs_and_authorisations(runner, client, app):
    result = runner.invoke(
        args=["seed-demo", "--households", "300", "--without-departmental", "--without-ratings"]
    )
    assert result.exit_code == 0, result.output
    banks = db.session.scalars(select(Bank.name)).all()
    assert "富平县农村商业银行" in banks and "中国邮政储蓄银行富平县支行" in banks
    assert len(banks) == 4
    officers = db.session.execute(
        select(User.bank_id, func.count()).where(User.role == "officer").group_by(User.bank_id)
    ).all()
    assert sorted(n for _bank, n in officers) == [2, 2, 2, 2]  # maker and checker per bank
    assert all(bank is not None for bank, _n in officers)

    states = dict(
        db.session.execute(
            select(LoanProduct.status, func.count()).group_by(LoanProduct.status)
        ).all()
    )
    assert set(states) == {"draft", "pending", "listed", "delisted"}
    assert sum(states.values()) == 40
    listed = db.session.scalars(select(LoanProduct).where(LoanProduct.status == "listed")).all()
    assert all(p.approved_by_id != p.created_by_id for p in listed)
    assert all(p.approved_by.bank_id == p.bank_id for p in listed)

    open_needs = db.session.scalar(
        select(func.count(FinancingNeed.id)).where(FinancingNeed.status == "open")
    )
    assert open_needs >= 100
    # A cadre posted each household's need under its signed consent.
    unconsented = db.session.scalar(
        select(func.count(FinancingNeed.id)).where(
            FinancingNeed.subject_type == "household",
            FinancingNeed.created_by.has(User.role == "cadre"),
            ~select(HouseholdConsent.id)
            .where(HouseholdConsent.household_id == FinancingNeed.subject_id)
            .exists(),
        )
    )
    assert unconsented == 0
    assert db.session.scalar(select(func.count(Authorisation.id))) >= 80

    sme = db.session.scalar(select(User).where(User.username == "applicant_sme"))
    assert sme.subject_type == "enterprise"
    log_in(client, "applicant_sme")
    assert "待对接" in client.get("/loans/needs/").get_data(as_text=True)

    # A year of the banks' work: decisions in every state, repayment events, a demo token.
    outcomes = dict(
        db.session.execute(
            select(LoanDecision.outcome, func.count()).group_by(LoanDecision.outcome)
        ).all()
    )
    assert set(outcomes) == {"approved", "rejected", "more_material"}
    approved = db.session.scalars(
        select(LoanDecision).where(LoanDecision.outcome == "approved")
    ).all()
    assert all(d.amount and d.rate and d.term_months for d in approved)
    rejected = db.session.scalars(
        select(LoanDecision).where(LoanDecision.outcome == "rejected")
    ).all()
    assert all(d.reason_code for d in rejected)
    kinds = set(db.session.scalars(select(RepaymentEvent.kind).distinct()))
    assert {"disbursed", "on_time"} <= kinds
    months = {c.strftime("%Y-%m") for c in db.session.scalars(select(FinancingNeed.created_at))}
    assert len(months) >= 6  # the statistics have months to show
    secret = (Path(app.instance_path) / "demo_api_token.txt").read_text().strip()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    assert token.created_by.username == "officer"
    assert (
        client.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    # An SME's need says what a firm of its industry borrows for.
    firms = db.session.execute(
        select(Enterprise.industry, FinancingNeed.purpose).join(
            FinancingNeed,
            (FinancingNeed.subject_type == "enterprise")
            & (FinancingNeed.subject_id == Enterprise.id),
        )
    ).all()
    assert firms and all(
        purpose in INDUSTRY_PURPOSES.get(industry, ("补充流动资金", "设备更新改造"))
        for industry, purpose in firms
    )
