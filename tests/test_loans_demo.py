"""`flask seed-demo` gives every 信易贷 role work on its first page (issue 15 point 9, the
banks, products, needs and authorisations part)."""

from sqlalchemy import func, select

from agri_credit.demo import DEMO_PASSWORD
from models import Authorisation, Bank, FinancingNeed, HouseholdConsent, LoanProduct, User, db
from tests.conftest import csrf_token


def log_in(client, username: str) -> None:
    data = {"username": username, "password": DEMO_PASSWORD}
    data["csrf_token"] = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data=data).status_code == 302


def test_seed_demo_adds_banks_products_needs_and_authorisations(runner, client):
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
