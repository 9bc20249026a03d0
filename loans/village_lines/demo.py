"""整村授信 in the demo county: one village rated 信用村 has its results take effect (its 公示
is dated back so it is over), the county's 农商行 lists its 整村授信 product with a line
table, grants the village's rated households (prepared by `officer`, approved by
`officer_2`), and about a third of them have taken their line up as a need with the bank
authorised, some approved. Everything is inserted in bulk.

`seed_village_lines` runs after the scores (app.py's demo steps), so the score cap applies
to the households the first model scored."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import func, insert, select, text, update

from agri_credit.rating_cycle.publication.services import (
    apply_village_if_due,
    publication_blockers,
    publish_village,
)
from loans.authorisations.services import CONSENT_TEXT_VERSION
from models import (
    Authorisation,
    FinancingNeed,
    GrantStatus,
    HouseholdConsent,
    LineStatus,
    LoanDecision,
    LoanProduct,
    ProductStatus,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    Role,
    RunStatus,
    User,
    VillageLine,
    VillageLineGrant,
    VillageLineTerms,
    clock,
    db,
    utc_start_of,
    utcnow,
)

from . import services

BANK_OFFICERS = ("officer", "officer_2")  # maker and checker of the 农商行
CONSENT_PDF = b"%PDF-1.4\n% demo: household's signed consent to its cadre\n%%EOF\n"
TAKE_UP_SHARE = 0.35
APPROVED_SHARE = 0.5


def seed_village_lines(seed: int, day: date) -> dict[str, int] | str:
    rng = np.random.default_rng(seed + 16)
    today = clock.today()  # pages judge 公示 and validity by the real today
    maker, checker = (
        db.session.scalar(select(User).where(User.username == name)) for name in BANK_OFFICERS
    )
    if maker is None or checker is None or maker.bank_id is None:
        return "skipped: no demo bank officers"
    village = _credit_village(today)
    if village is None:
        return "skipped: no village of the demo run passed as 信用村"
    product = _village_product(maker, checker)
    if product is None:
        return "skipped: the demo bank has no 整村授信 product"
    seen = services.preview(product, db.session.get(Region, village.region_code), today)
    if seen.refusal:
        return f"skipped: {seen.refusal}"
    grant = VillageLineGrant(
        product_id=product.id,
        bank_id=product.bank_id,
        village_code=village.region_code,
        year=seen.status.year,
        region_rating_id=village.id,
        status=GrantStatus.APPROVED.value,
        valid_from=today - timedelta(days=5),
        valid_to=today + timedelta(days=current_app.config["VILLAGE_LINE_VALID_DAYS"]),
        summary=services.summary_json(seen.figures),
        households=len(seen.lines),
        total_amount=Decimal(str(round(seen.total_amount, 2))),
        prepared_by_id=maker.id,
        prepared_at=utcnow() - timedelta(days=6),
        approved_by_id=checker.id,
        approved_at=utcnow() - timedelta(days=5),
    )
    db.session.add(grant)
    db.session.flush()
    services.write_lines(grant.id, seen.lines, seen.rate)
    taken, approved = _take_up(rng, grant, product, checker, today)
    return {
        "village": int(village.region_code),
        "lines": len(seen.lines),
        "taken_up": taken,
        "approved": approved,
    }


def _credit_village(today: date) -> RegionRating | None:
    """A village of the standing run that passed, other than the demo cadre's (under 公示
    for the objection demo), its results made effective as the daily command would."""
    cadre_village = db.session.scalar(select(User.scope_code).where(User.username == "cadre"))
    row = db.session.execute(
        select(RegionRating, RatingRun)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(
            RegionRating.level == RegionLevel.VILLAGE,
            RegionRating.passed.is_(True),
            RegionRating.status == RegionResultStatus.PROPOSED,
            RegionRating.region_code != (cadre_village or ""),
            RatingRun.status != RunStatus.SUPERSEDED,
        )
        .order_by(RatingRun.year.desc(), RegionRating.region_code)
        .limit(1)
    ).first()
    if row is None:
        return None
    rating, run = row
    if publication_blockers(run, rating):
        return None
    cadre = db.session.scalar(
        select(User).where(User.role == Role.CADRE, User.scope_code == rating.region_code)
    )
    days = current_app.config["PUBLICITY_DAYS"]
    published = today - timedelta(days=days + 3)
    publish_village(run, rating, cadre or run.started_by, published, days=days)
    rating.published_at = utc_start_of(published) + timedelta(hours=2)
    db.session.flush()
    apply_village_if_due(rating, today)
    return rating


def _village_product(maker: User, checker: User) -> LoanProduct | None:
    """The bank's first 整村授信 product, listed (by the checker) with its line table."""
    product = db.session.scalar(
        select(LoanProduct)
        .where(LoanProduct.bank_id == maker.bank_id, LoanProduct.product_type == "village")
        .order_by(LoanProduct.id)
        .limit(1)
    )
    if product is None:
        return None
    today = clock.today()
    if product.status != ProductStatus.LISTED.value or (
        product.valid_to is not None and product.valid_to < today
    ):
        product.status = ProductStatus.LISTED.value
        product.approved_by_id, product.approved_at = checker.id, utcnow()
        product.valid_to = None
        product.version += 1
    product.valid_from = min(product.valid_from, today)
    # Its lines are capped by the score table; a hard minimum score would refuse the very
    # households the bank granted when they take their line up.
    product.min_score, product.min_grade, product.region_codes = None, "A", []
    defaults = services.default_terms_data(current_app.config)
    low, high = product.amount_min, product.amount_max

    def within(amount: Decimal) -> float:
        return float(min(max(amount, low), high))

    db.session.add(
        VillageLineTerms(
            product_id=product.id,
            grade_amounts={
                "AAA": within(defaults["amount_aaa"]),
                "AA": within(defaults["amount_aa"]),
                "A": within(defaults["amount_a"]),
            },
            cap_below_points=defaults["cap_below_points"],
            cap_amount=Decimal(str(within(defaults["cap_amount"]))),
            credit_household_discount=defaults["credit_household_discount"],
            credit_village_discount=defaults["credit_village_discount"],
            updated_by_id=maker.id,
        )
    )
    db.session.flush()
    return product


def _max_id(model) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0))))


def _insert(model, frame: pd.DataFrame) -> None:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    if rows:
        db.session.execute(insert(model.__table__), rows)


def _take_up(
    rng: np.random.Generator,
    grant: VillageLineGrant,
    product: LoanProduct,
    officer: User,
    today: date,
) -> tuple[int, int]:
    """About a third of the lines became needs (posted by the village's cadre under the
    household's signed consent, the bank authorised), half of those approved."""
    lines = pd.DataFrame(
        [
            tuple(r)
            for r in db.session.execute(
                select(VillageLine.id, VillageLine.household_id, VillageLine.amount).where(
                    VillageLine.grant_id == grant.id
                )
            )
        ],
        columns=["line_id", "household_id", "amount"],
    )
    cadre_id = (
        db.session.scalar(
            select(func.min(User.id)).where(
                User.role == Role.CADRE, User.scope_code == grant.village_code
            )
        )
        or grant.prepared_by_id
    )
    # The village signed up for 整村授信 together: every household with a line signed the
    # consent that lets its cadre act for it (so the demo cadre can take any line up).
    consent_start = _max_id(HouseholdConsent) + 1
    consents = pd.DataFrame(
        {
            "id": np.arange(consent_start, consent_start + len(lines)),
            "household_id": lines["household_id"].to_numpy(),
            "filename": "签字授权书.pdf",
            "content_type": "application/pdf",
            "size": len(CONSENT_PDF),
            "sha256": "0" * 64,
            "content": [CONSENT_PDF] * len(lines),
            "valid_from": today - timedelta(days=10),
            "valid_to": today + timedelta(days=355),
            "uploaded_by_id": cadre_id,
            "uploaded_at": utcnow() - timedelta(days=10),
        }
    )
    _insert(HouseholdConsent, consents)
    lines = lines.assign(consent_id=consents["id"].to_numpy())
    chosen = lines[rng.random(len(lines)) < TAKE_UP_SHARE].reset_index(drop=True)
    if not len(chosen):
        return 0, 0
    n = len(chosen)
    taken_at = [utcnow() - timedelta(days=int(d)) for d in rng.integers(1, 5, n)]
    need_start = _max_id(FinancingNeed) + 1
    approved = rng.random(n) < APPROVED_SHARE
    needs = pd.DataFrame(
        {
            "id": np.arange(need_start, need_start + n),
            "subject_type": "household",
            "subject_id": chosen["household_id"].to_numpy(),
            "region_code": grant.village_code,
            "amount": chosen["amount"].to_numpy(),
            "term_months": product.term_max_months,
            "purpose": f"整村授信用信（{product.name}）",
            "collateral": "none",
            "collateral_note": "",
            "guarantee": "none",
            "urgency": "normal",
            "status": np.where(approved, "approved", "open"),
            "created_by_id": cadre_id,
            "created_at": taken_at,
            "updated_at": taken_at,
            "version": 1,
        }
    )
    _insert(FinancingNeed, needs)
    auth_start = _max_id(Authorisation) + 1
    _insert(
        Authorisation,
        pd.DataFrame(
            {
                "id": np.arange(auth_start, auth_start + n),
                "subject_type": "household",
                "subject_id": chosen["household_id"].to_numpy(),
                "bank_id": grant.bank_id,
                "product_id": product.id,
                "purpose": services.TAKE_UP_PURPOSE,
                "data_categories": [list(services.TAKE_UP_CATEGORIES) for _ in range(n)],
                "explicit_consent": False,
                "consent_text_version": CONSENT_TEXT_VERSION,
                "granted_at": taken_at,
                "expires_at": utc_start_of(min(grant.valid_to, today + timedelta(days=365))),
                "granted_by_id": cadre_id,
                "household_consent_id": chosen["consent_id"].to_numpy(),
            }
        ),
    )
    db.session.execute(
        update(VillageLine),
        [
            {
                "id": int(i),
                "status": LineStatus.TAKEN_UP.value,
                "need_id": int(nid),
                "taken_up_at": t,
            }
            for i, nid, t in zip(chosen["line_id"], needs["id"], taken_at, strict=True)
        ],
    )
    decided = needs[approved]
    _insert(
        LoanDecision,
        pd.DataFrame(
            {
                "need_id": decided["id"].to_numpy(),
                "bank_id": grant.bank_id,
                "product_id": product.id,
                "officer_id": officer.id,
                "outcome": "approved",
                "amount": decided["amount"].to_numpy(),
                "rate": float(
                    db.session.scalar(
                        select(VillageLine.rate).where(VillageLine.grant_id == grant.id).limit(1)
                    )
                ),
                "term_months": product.term_max_months,
                "reason_text": "整村授信额度内用信，按授信条件发放",
                "decided_at": [t + timedelta(hours=20) for t in decided["created_at"]],
            }
        ),
    )
    _reset_sequences()
    return n, int(approved.sum())


def _reset_sequences() -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (HouseholdConsent, FinancingNeed, Authorisation):
        name = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )
