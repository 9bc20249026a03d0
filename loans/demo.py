"""信易贷 in the demo county: the county's banks with two officers each (maker and checker),
about 40 products in every state, a few hundred financing needs with the household consents
their cadres recorded, authorisations and some uses of them, and two more applicant accounts
(an SME and a co-operative). Built as DataFrames from the seed and inserted in bulk.

`seed_loans` runs at the end of `flask seed-demo` (registered as a demo step by app.py)."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, text, update
from werkzeug.security import generate_password_hash

from models import (
    AgriEntity,
    Authorisation,
    AuthorisationUse,
    Bank,
    BankBranch,
    Enterprise,
    FinancingNeed,
    Household,
    HouseholdConsent,
    LoanProduct,
    Region,
    RegionLevel,
    Role,
    User,
    db,
    utc_start_of,
    utcnow,
)

from .authorisations.services import CONSENT_TEXT_VERSION

DEMO_PASSWORD = "fuping2026"
# (name, short name, existing officer, second officer); the first officers come with the county.
BANKS = (
    ("富平县农村商业银行", "富平农商行", "officer", "officer_2"),
    ("中国邮政储蓄银行富平县支行", "邮储银行", "officer_psbc", "officer_psbc_2"),
    ("中国农业银行富平县支行", "农业银行", "officer_abc", "officer_abc_2"),
    ("富平阳光村镇银行", "阳光村镇银行", "officer_cz", "officer_cz_2"),
)
# (type, name stem, subject types, amount range 元, term range months, rate range %)
PRODUCT_LINES = (
    ("farmer_micro", "农户小额信用贷", ["household"], (10_000, 200_000), (6, 36), (3.85, 6.0)),
    ("credit", "信易贷·信用贷", ["entity", "enterprise"], (50_000, 1_000_000), (6, 36), (3.9, 7.5)),
    ("tax", "税易贷", ["enterprise"], (100_000, 3_000_000), (12, 36), (3.6, 6.5)),
    ("procurement", "政采贷", ["enterprise"], (100_000, 5_000_000), (3, 24), (3.7, 6.0)),
    ("new_entity", "新型经营主体贷", ["entity"], (100_000, 3_000_000), (12, 60), (3.95, 6.8)),
    ("village", "整村授信", ["household"], (30_000, 100_000), (12, 36), (3.65, 5.5)),
)
HOUSEHOLD_PURPOSES = (
    "购买化肥种子农药",
    "扩建果库冷库",
    "购置农机具",
    "扩大养殖规模",
    "流转土地扩大种植",
    "修建温室大棚",
)
# Agricultural entities: crops or livestock, by what they produce.
ENTITY_PURPOSES = (
    "补充流动资金",
    "收购社员农产品",
    "购置农机具",
    "流转土地扩大种植",
    "修建温室大棚",
)
LIVESTOCK_PURPOSES = ("扩大养殖规模", "购买饲料", "修建圈舍", "补充流动资金")
LIVESTOCK_WORDS = ("牛", "羊", "猪", "鸡", "鸭", "奶", "蛋", "畜", "禽", "养殖")
# SMEs: what a firm of the industry borrows for (an e-commerce firm does not raise cattle).
INDUSTRY_PURPOSES = {
    "农产品加工": ("收购农产品", "设备更新改造", "扩建果库冷库", "补充流动资金"),
    "物流": ("购置运输车辆", "扩建仓储设施", "补充流动资金"),
    "餐饮": ("门店装修改造", "采购食材", "补充流动资金"),
    "建材": ("采购原材料", "设备更新改造", "履行政府采购合同", "补充流动资金"),
    "农资销售": ("化肥农药季节性备货", "补充流动资金"),
    "商贸": ("采购商品备货", "履行政府采购合同", "补充流动资金"),
    "电子商务": ("采购商品备货", "网店推广与平台建设", "补充流动资金"),
    "食品制造": ("采购原料", "设备更新改造", "补充流动资金"),
    "乡村旅游": ("民宿改造升级", "景区设施建设", "补充流动资金"),
    "农机服务": ("购置农机具", "补充流动资金"),
    "果业": ("收购农产品", "扩建果库冷库", "补充流动资金"),
    "乳业": ("扩大养殖规模", "设备更新改造", "补充流动资金"),
    "牧业": ("扩大养殖规模", "购买饲料", "补充流动资金"),
}
BUSINESS_PURPOSES = ("补充流动资金", "设备更新改造")
CONSENT_PDF = b"%PDF-1.4\n% demo: household's signed consent to its cadre\n%%EOF\n"
STATES = np.array(["listed"] * 7 + ["draft", "pending", "delisted"])


def seed_loans(seed: int, today: date) -> dict[str, int]:
    """Add the financing side to a freshly seeded demo county; the caller commits."""
    rng = np.random.default_rng(seed + 15)
    county = db.session.scalar(select(Region.code).where(Region.level == RegionLevel.COUNTY))
    password_hash = _demo_password_hash()
    bank_ids = _banks(county)
    officers = _officers(bank_ids, county, password_hash)
    _applicants(password_hash)
    products = _products(rng, bank_ids, officers, county, today)
    needs = _needs(rng, today)
    grants = _authorisations(rng, needs, products, bank_ids, today)
    uses = _uses(rng, grants, officers)
    _reset_sequences()
    return {
        "banks": len(bank_ids),
        "products": len(products),
        "needs": len(needs),
        "authorisations": len(grants),
        "uses": len(uses),
    }


def seed_scores(seed: int, today: date) -> dict:
    """The demo's loan history with a known truth, its first model and the county's scores.
    Imported when it runs: LightGBM takes seconds to import (see scoring/commands.py)."""
    from .scoring.demo_history import seed_scoring

    return seed_scoring(seed, today)


def _tuples(query) -> list[tuple]:
    """Plain tuples: pandas probes each Row object attribute by attribute (slow)."""
    return [tuple(row) for row in db.session.execute(query)]


def _max_id(model) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0))))


def _insert(model, frame: pd.DataFrame) -> None:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(model.__table__), rows[start : start + 5_000])


def _banks(county: str) -> list[int]:
    start = _max_id(Bank) + 1
    frame = pd.DataFrame(
        {
            "id": np.arange(start, start + len(BANKS)),
            "name": [b[0] for b in BANKS],
            "short_name": [b[1] for b in BANKS],
            "active": True,
            "created_at": utcnow(),
        }
    )
    _insert(Bank, frame)
    townships = db.session.execute(
        select(Region.code, Region.name)
        .where(Region.level == RegionLevel.TOWNSHIP)
        .order_by(Region.code)
    ).all()
    branches = [
        {
            "bank_id": int(bank_id),
            "name": f"{name}营业所",
            "region_code": code,
            "created_at": utcnow(),
        }
        for bank_id, (code, name) in zip(frame["id"], townships[: len(BANKS)], strict=False)
    ]
    branches += [
        {"bank_id": int(b), "name": "营业部", "region_code": county, "created_at": utcnow()}
        for b in frame["id"]
    ]
    _insert(BankBranch, pd.DataFrame(branches))
    return frame["id"].tolist()


def _demo_password_hash() -> str:
    """The demo accounts' shared hash (hashing is deliberately slow: hash once)."""
    existing = db.session.scalar(select(User.password_hash).where(User.username == "county_office"))
    return existing or generate_password_hash(DEMO_PASSWORD)


def _officers(bank_ids: list[int], county: str, password_hash: str) -> pd.DataFrame:
    """The county's officers get their bank; each bank gets a second (checking) officer."""
    existing = set(db.session.scalars(select(User.username).where(User.role == Role.OFFICER)))
    new = []
    for name, short, first, second in BANKS:
        for k, username in enumerate((first, second)):
            if username in existing:
                continue
            new.append(
                {
                    "username": username,
                    "display_name": f"{short}信贷员{k + 1}",
                    "password_hash": password_hash,
                    "role": Role.OFFICER.value,
                    "scope_code": county,
                    "organisation": name,
                    "active": True,
                    "created_at": utcnow(),
                    "session_version": 0,
                    "failed_logins": 0,
                }
            )
    if new:
        _insert(User, pd.DataFrame(new))
    for bank_id, (name, _short, first, second) in zip(bank_ids, BANKS, strict=True):
        db.session.execute(
            update(User)
            .where(User.username.in_([first, second]))
            .values(bank_id=bank_id, organisation=name)
        )
    rows = _tuples(select(User.id, User.username, User.bank_id).where(User.bank_id.in_(bank_ids)))
    return pd.DataFrame(rows, columns=["id", "username", "bank_id"]).sort_values("id")


def _applicants(password_hash: str) -> None:
    """An SME and a co-operative that log in as themselves."""
    enterprise = db.session.execute(
        select(Enterprise.id, Enterprise.region_code, Enterprise.name).order_by(Enterprise.id)
    ).first()
    entity = db.session.execute(
        select(AgriEntity.id, AgriEntity.village_code, AgriEntity.name).order_by(AgriEntity.id)
    ).first()
    rows = []
    for username, subject_type, found in (
        ("applicant_sme", "enterprise", enterprise),
        ("applicant_coop", "entity", entity),
    ):
        if found is None:
            continue
        rows.append(
            {
                "username": username,
                "display_name": found[2][:60],
                "password_hash": password_hash,
                "role": Role.APPLICANT.value,
                "scope_code": found[1],
                "organisation": found[2][:100],
                "active": True,
                "created_at": utcnow(),
                "session_version": 0,
                "failed_logins": 0,
                "subject_type": subject_type,
                "subject_id": int(found[0]),
            }
        )
    if rows:
        _insert(User, pd.DataFrame(rows))


def _products(
    rng: np.random.Generator,
    bank_ids: list[int],
    officers: pd.DataFrame,
    county: str,
    today: date,
) -> pd.DataFrame:
    """Ten products per bank: the six lines plus variants, mostly listed, some in the other
    states; the maker is the bank's first officer and the checker its second."""
    townships = db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.TOWNSHIP).order_by(Region.code)
    ).all()
    rows = []
    start = _max_id(LoanProduct) + 1
    for b, bank_id in enumerate(bank_ids):
        staff = officers[officers["bank_id"] == bank_id]["id"].tolist()
        maker, checker = staff[0], staff[-1]
        short = BANKS[b][1]
        states = rng.permutation(STATES)
        for k in range(10):
            kind, stem, subjects, amount, term, rate = PRODUCT_LINES[(k + b) % len(PRODUCT_LINES)]
            scale = float(rng.choice([0.5, 1.0, 1.5]))
            status = str(states[k])
            regional = k % 4 == 3 and townships
            rows.append(
                {
                    "id": start + len(rows),
                    "bank_id": bank_id,
                    "code": f"P{b + 1}{k + 1:02d}",
                    "name": f"{short}{stem}"
                    + (f"（{k // len(PRODUCT_LINES) + 2}期）" if k >= 6 else ""),
                    "product_type": kind,
                    "description": f"{short}面向本县{('农户' if 'household' in subjects else '经营主体')}的{stem}产品。",
                    "amount_min": amount[0],
                    "amount_max": round(amount[1] * scale, -3),
                    "term_min_months": term[0],
                    "term_max_months": term[1],
                    "rate_min": round(rate[0] + 0.05 * b, 2),
                    "rate_max": round(rate[1] + 0.1 * b, 2),
                    "subject_types": subjects,
                    "region_codes": [str(rng.choice(townships))] if regional else [],
                    "min_grade": ["A", "AA", None][k % 3] if "household" in subjects else None,
                    "min_score": [None, 550, 600][k % 3],
                    "tax_grades": ["A", "B"] if kind == "tax" else [],
                    "min_years_operating": 2 if "enterprise" in subjects and k % 2 else None,
                    "collateral_required": kind == "new_entity" and k % 2 == 0,
                    "guarantee_required": False,
                    "valid_from": date(today.year, 1, 1),
                    "valid_to": None if k % 5 else date(today.year + 1, 12, 31),
                    "status": status,
                    "created_by_id": maker,
                    "created_at": utcnow() - timedelta(days=60 - k),
                    "updated_at": utcnow() - timedelta(days=30 - k),
                    "submitted_at": utcnow() - timedelta(days=30) if status != "draft" else None,
                    "approved_by_id": checker if status in ("listed", "delisted") else None,
                    "approved_at": utcnow() - timedelta(days=29)
                    if status in ("listed", "delisted")
                    else None,
                    "delisted_at": utcnow() - timedelta(days=3) if status == "delisted" else None,
                    "version": 3 if status != "draft" else 1,
                }
            )
    frame = pd.DataFrame(rows)
    _insert(LoanProduct, frame)
    return frame


def _needs(rng: np.random.Generator, today: date) -> pd.DataFrame:
    """About 480 needs: households (posted by their village cadre under a signed consent),
    co-operatives and farms, SMEs; the demo applicants' own subjects first."""
    cadres = pd.DataFrame(
        _tuples(
            select(User.scope_code, func.min(User.id))
            .where(User.role == Role.CADRE)
            .group_by(User.scope_code)
        ),
        columns=["region_code", "cadre_id"],
    )
    office = db.session.scalar(
        select(func.min(User.id)).where(User.role == Role.OFFICE, User.username == "county_office")
    ) or db.session.scalar(select(func.min(User.id)).where(User.role == Role.OFFICE))
    applicants = {
        f"{kind}:{subject_id}": user_id
        for kind, subject_id, user_id in db.session.execute(
            select(User.subject_type, User.subject_id, User.id).where(
                User.role == Role.APPLICANT, User.subject_id.is_not(None)
            )
        ).all()
    }

    def pick(model, region, n, kind):
        frame = pd.DataFrame(
            _tuples(select(model.id, region).order_by(model.id)),
            columns=["subject_id", "region_code"],
        )
        chosen = frame.iloc[np.sort(rng.choice(len(frame), size=min(n, len(frame)), replace=False))]
        return chosen.assign(subject_type=kind)

    subjects = pd.concat(
        [
            pick(Household, Household.village_code, 320, "household"),
            pick(AgriEntity, AgriEntity.village_code, 80, "entity"),
            pick(Enterprise, Enterprise.region_code, 80, "enterprise"),
        ],
        ignore_index=True,
    )
    # The demo applicants' own subjects always have a need.
    own = pd.DataFrame(
        [k.split(":") for k in applicants], columns=["subject_type", "subject_id"]
    ).astype({"subject_id": "int64"})
    missing = own.merge(subjects, how="left", on=["subject_type", "subject_id"], indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        extra = []
        for kind, model, region in (
            ("household", Household, Household.village_code),
            ("entity", AgriEntity, AgriEntity.village_code),
            ("enterprise", Enterprise, Enterprise.region_code),
        ):
            ids = missing.loc[missing["subject_type"] == kind, "subject_id"].tolist()
            if ids:
                extra += [
                    {"subject_id": i, "region_code": r, "subject_type": kind}
                    for i, r in db.session.execute(
                        select(model.id, region).where(model.id.in_(ids))
                    ).all()
                ]
        subjects = pd.concat([pd.DataFrame(extra), subjects], ignore_index=True)
    n = len(subjects)
    key = subjects["subject_type"] + ":" + subjects["subject_id"].astype(str)
    created_by = subjects.merge(cadres, how="left", on="region_code")["cadre_id"]
    created_by = key.map(applicants).fillna(created_by).fillna(office).astype("int64")
    is_household = subjects["subject_type"].eq("household").to_numpy()
    amount = np.where(
        is_household,
        np.round(rng.lognormal(np.log(60_000), 0.6, n), -3),
        np.round(rng.lognormal(np.log(500_000), 0.8, n), -4),
    ).clip(5_000, 5_000_000)
    age_days = rng.integers(0, 90, n)
    hours = rng.integers(0, 24, n)
    status = rng.choice(["open", "withdrawn", "closed"], size=n, p=[0.86, 0.08, 0.06])
    status[: len(own)] = "open"
    # Needs that ended were posted over the past year (the statistics have months to show).
    age_days = np.where(status == "open", age_days, rng.integers(20, 365, n))
    created_at = [
        utcnow() - timedelta(days=int(d), hours=int(h))
        for d, h in zip(age_days, hours, strict=True)
    ]
    start = _max_id(FinancingNeed) + 1
    frame = pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "subject_type": subjects["subject_type"].to_numpy(),
            "subject_id": subjects["subject_id"].to_numpy(),
            "region_code": subjects["region_code"].to_numpy(),
            "amount": amount,
            "term_months": rng.choice([6, 12, 12, 24, 36, 48, 60], size=n),
            "purpose": np.where(
                is_household,
                rng.choice(np.array(HOUSEHOLD_PURPOSES, dtype=object), size=n),
                _business_purposes(subjects, seed_rng=rng.integers(1 << 31)),
            ),
            "collateral": rng.choice(
                ["none", "none", "none", "house", "land_rights", "equipment", "deposit"], size=n
            ),
            "collateral_note": "",
            "guarantee": rng.choice(["none", "none", "person", "company", "joint"], size=n),
            "urgency": rng.choice(["low", "normal", "normal", "high"], size=n),
            "status": status,
            "created_by_id": created_by.to_numpy(),
            "created_at": created_at,
            "updated_at": created_at,
            "withdrawn_at": [
                c + timedelta(days=3) if s == "withdrawn" else None
                for c, s in zip(created_at, status, strict=True)
            ],
            "version": 1,
        }
    )
    _insert(FinancingNeed, frame)
    # The cadres acted under each household's signed consent, uploaded the day before.
    households = frame[frame["subject_type"] == "household"].drop_duplicates("subject_id")
    households = households[~households["created_by_id"].isin(list(applicants.values()))]
    consent_start = _max_id(HouseholdConsent) + 1
    consents = pd.DataFrame(
        {
            "id": np.arange(consent_start, consent_start + len(households)),
            "household_id": households["subject_id"].to_numpy(),
            "filename": "签字授权书.pdf",
            "content_type": "application/pdf",
            "size": len(CONSENT_PDF),
            "sha256": "0" * 64,
            "content": [CONSENT_PDF] * len(households),
            "valid_from": today - timedelta(days=100),
            "valid_to": today + timedelta(days=265),
            "uploaded_by_id": households["created_by_id"].to_numpy(),
            "uploaded_at": [c - timedelta(days=1) for c in households["created_at"]],
        }
    )
    _insert(HouseholdConsent, consents)
    return frame.merge(
        consents[["household_id", "id"]].rename(
            columns={"household_id": "subject_id", "id": "household_consent_id"}
        ),
        how="left",
        on="subject_id",
    ).assign(
        household_consent_id=lambda f: f["household_consent_id"].where(
            f["subject_type"] == "household"
        )
    )


def _business_purposes(subjects: pd.DataFrame, seed_rng: int) -> np.ndarray:
    """A purpose per subject that fits it: an SME's industry, an entity's products (crops or
    livestock). Households get theirs from HOUSEHOLD_PURPOSES (this column is ignored)."""
    rng = np.random.default_rng(seed_rng)
    industry = dict(
        db.session.execute(
            select(Enterprise.id, Enterprise.industry).where(
                Enterprise.id.in_(
                    subjects.loc[subjects["subject_type"] == "enterprise", "subject_id"].tolist()
                )
            )
        ).all()
    )
    products = dict(
        db.session.execute(
            select(AgriEntity.id, AgriEntity.main_products).where(
                AgriEntity.id.in_(
                    subjects.loc[subjects["subject_type"] == "entity", "subject_id"].tolist()
                )
            )
        ).all()
    )

    def choices(kind: str, subject_id: int) -> tuple[str, ...]:
        if kind == "enterprise":
            return INDUSTRY_PURPOSES.get(industry.get(subject_id) or "", BUSINESS_PURPOSES)
        if kind == "entity":
            made = products.get(subject_id) or ""
            return (
                LIVESTOCK_PURPOSES if any(w in made for w in LIVESTOCK_WORDS) else ENTITY_PURPOSES
            )
        return BUSINESS_PURPOSES

    picks = rng.random(len(subjects))
    return np.array(
        [
            (c := choices(kind, int(i)))[int(p * len(c))]
            for kind, i, p in zip(
                subjects["subject_type"], subjects["subject_id"], picks, strict=True
            )
        ],
        dtype=object,
    )


def _authorisations(
    rng: np.random.Generator,
    needs: pd.DataFrame,
    products: pd.DataFrame,
    bank_ids: list[int],
    today: date,
) -> pd.DataFrame:
    """Most open needs' subjects authorise one bank (some two, some with the explicit consent
    to income, asset and tax data); a few were revoked or have expired."""
    open_needs = needs[needs["status"] == "open"]
    chosen = open_needs[rng.random(len(open_needs)) < 0.85]
    first = chosen.assign(bank_id=rng.choice(bank_ids, size=len(chosen)))
    second = chosen[rng.random(len(chosen)) < 0.3].assign(
        bank_id=lambda f: rng.choice(bank_ids, size=len(f))
    )
    grants = pd.concat([first, second], ignore_index=True).drop_duplicates(
        ["subject_type", "subject_id", "bank_id"]
    )
    n = len(grants)
    sensitive = rng.random(n) < 0.4
    categories = [
        ["file", "rating", "score", "records", "loans", "income", "assets", "tax"]
        if s
        else ["file", "rating", "score"]
        for s in sensitive
    ]
    listed = products[products["status"] == "listed"]
    by_bank = listed.groupby("bank_id")["id"].first()
    with_product = rng.random(n) < 0.3
    granted_at = [c + timedelta(hours=1) for c in grants["created_at"]]
    days = rng.choice([30, 90, 180], size=n)
    expires = [utc_start_of(today + timedelta(days=int(d) + 1)) for d in days]
    expired = rng.random(n) < 0.05
    expires = [
        utc_start_of(today - timedelta(days=2)) if e else x
        for e, x in zip(expired, expires, strict=True)
    ]
    revoked = rng.random(n) < 0.06
    start = _max_id(Authorisation) + 1
    frame = pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "subject_type": grants["subject_type"].to_numpy(),
            "subject_id": grants["subject_id"].to_numpy(),
            "bank_id": grants["bank_id"].to_numpy(),
            "product_id": [
                by_bank.get(b) if w else None
                for b, w in zip(grants["bank_id"], with_product, strict=True)
            ],
            "purpose": "贷款申请审查",
            "data_categories": categories,
            "explicit_consent": sensitive,
            "consent_text_version": CONSENT_TEXT_VERSION,
            "granted_at": granted_at,
            "expires_at": expires,
            "revoked_at": [
                g + timedelta(days=1) if r else None
                for g, r in zip(granted_at, revoked, strict=True)
            ],
            "granted_by_id": grants["created_by_id"].to_numpy(),
            "revoked_by_id": [
                c if r else None for c, r in zip(grants["created_by_id"], revoked, strict=True)
            ],
            "household_consent_id": grants["household_consent_id"].to_numpy(),
        }
    )
    frame["product_id"] = frame["product_id"].astype("Int64")
    frame["household_consent_id"] = frame["household_consent_id"].astype("Int64")
    _insert(Authorisation, frame)
    return frame


def _uses(rng: np.random.Generator, grants: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Officers have read about a third of the authorised files (the portrait's log)."""
    read = grants[(rng.random(len(grants)) < 0.35) & grants["revoked_at"].isna()]
    first_officer = officers.groupby("bank_id")["id"].first()
    what = np.array(
        ["查看画像：档案基本信息", "查看画像：信用评级结果", "查看画像：违约风险评分及主要原因"],
        dtype=object,
    )
    category = np.array(["file", "rating", "score"], dtype=object)
    k = rng.integers(0, 3, len(read))
    used_at = [
        g + timedelta(hours=int(h))
        for g, h in zip(read["granted_at"], rng.integers(2, 48, len(read)), strict=True)
    ]
    frame = pd.DataFrame(
        {
            "authorisation_id": read["id"].to_numpy(),
            "user_id": read["bank_id"].map(first_officer).to_numpy(),
            "bank_id": read["bank_id"].to_numpy(),
            "used_at": [min(u, utcnow()) for u in used_at],
            "category": category[k],
            "what": what[k],
            "detail": [{} for _ in range(len(read))],
        }
    )
    _insert(AuthorisationUse, frame)
    return frame


def _reset_sequences() -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in (Bank, LoanProduct, FinancingNeed, HouseholdConsent, Authorisation):
        name = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"
            )
        )


__all__ = ["seed_loans", "seed_scores"]
