"""Test data of 信易贷: banks with officers, products in a state, needs, consents and
authorisations, built directly (the pages that make them are tested through the routes)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from loans.authorisations import services as authorisations
from models import (
    Authorisation,
    Bank,
    FinancingNeed,
    HouseholdConsent,
    LoanProduct,
    Role,
    User,
    clock,
    db,
)
from tests import factories as f

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%signed consent\n"


def make_bank(name: str = "富平县农村商业银行", short_name: str = "富平农商行") -> Bank:
    bank = Bank(name=name, short_name=short_name)
    db.session.add(bank)
    db.session.flush()
    return bank


def make_officer(username: str, bank: Bank, **extra: Any) -> User:
    return f.make_user(
        username, Role.OFFICER, f.COUNTY, bank_id=bank.id, organisation=bank.name, **extra
    )


def product_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "XYD-01",
        "name": "信易贷·惠农e贷",
        "product_type": "credit",
        "description": "",
        "amount_min": Decimal("10000"),
        "amount_max": Decimal("300000"),
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_min": Decimal("3.85"),
        "rate_max": Decimal("6.50"),
        "subject_types": ["household", "entity", "enterprise"],
        "region_codes": [],
        "min_grade": None,
        "min_score": None,
        "tax_grades": [],
        "min_years_operating": None,
        "collateral_required": False,
        "guarantee_required": False,
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
    }
    data.update(overrides)
    return data


def make_product(bank: Bank, maker: User, status: str = "draft", **overrides: Any) -> LoanProduct:
    product = LoanProduct(bank_id=bank.id, created_by_id=maker.id, status=status)
    for name, value in product_data(**overrides).items():
        setattr(product, name, value)
    db.session.add(product)
    db.session.flush()
    return product


def make_need(subject_type: str, subject_id: int, region_code: str, user: User, **overrides):
    values: dict[str, Any] = {
        "amount": Decimal("50000"),
        "term_months": 12,
        "purpose": "购买化肥种子",
        "collateral": "none",
        "guarantee": "none",
        "urgency": "normal",
    }
    values.update(overrides)
    need = FinancingNeed(
        subject_type=subject_type,
        subject_id=subject_id,
        region_code=region_code,
        created_by_id=user.id,
        **values,
    )
    db.session.add(need)
    db.session.flush()
    return need


def make_consent(household_id: int, cadre: User, days: int = 365) -> HouseholdConsent:
    today = clock.today()
    consent = HouseholdConsent(
        household_id=household_id,
        filename="consent.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        content=PNG,
        valid_from=today,
        valid_to=today + timedelta(days=days),
        uploaded_by_id=cadre.id,
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def make_authorisation(
    subject_type: str, subject_id: int, bank: Bank, user: User, **overrides: Any
) -> Authorisation:
    today = clock.today()
    values: dict[str, Any] = {
        "product": None,
        "purpose": "贷款申请审查",
        "categories": ["file", "rating", "score"],
        "explicit_consent": False,
        "valid_until": today + timedelta(days=90),
    }
    values.update(overrides)
    return authorisations.grant(
        subject_type=subject_type,
        subject_id=subject_id,
        bank_id=bank.id,
        today=today,
        user=user,
        **values,
    )
