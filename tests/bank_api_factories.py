"""Test data of the bank API: two banks with an officer each, a household that authorised
bank A only and posted a need matching both banks' products, and tokens."""

from decimal import Decimal
from types import SimpleNamespace

from loans.api.tokens import SCOPES, create_token
from models import User, db
from tests import factories as f
from tests import loans_factories as lf


def token_for(officer: User, scopes: tuple[str, ...] = SCOPES, name: str = "信贷系统") -> str:
    secret = create_token(officer, name, list(scopes)).secret
    db.session.commit()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_api_world(users, cipher) -> SimpleNamespace:
    cadre = users["cadre"]
    yang = f.make_household(cipher, cadre, head_name="杨建国")
    bank_a, bank_b = lf.make_bank(), lf.make_bank("富平县邮储银行", "邮储银行")
    officer_a = users["officer"]
    officer_a.bank_id = bank_a.id
    checker_a = lf.make_officer("officer_a2", bank_a)
    officer_b = lf.make_officer("officer_b", bank_b)
    product_a = lf.make_product(bank_a, officer_a, status="listed", name="惠农e贷")
    draft_a = lf.make_product(bank_a, officer_a, code="XYD-09", name="春耕贷（草稿）")
    product_b = lf.make_product(bank_b, officer_b, status="listed", code="YC-01", name="邮储贷")
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
        bank_a=bank_a,
        bank_b=bank_b,
        officer_a=officer_a,
        checker_a=checker_a,
        officer_b=officer_b,
        product_a=product_a,
        draft_a=draft_a,
        product_b=product_b,
        grant=grant,
        token_a=token_for(officer_a),
        token_b=token_for(officer_b),
    )
