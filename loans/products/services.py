"""Loan products: the maker-checker life cycle and the queries the rest of 信易贷 reads.

草稿 → (submit) 待审核 → (another officer of the bank approves) 上架 → 下架; a pending product
can be sent back to 草稿, a delisted one edited again as 草稿. Each step is a conditional
update on (status, version), so a double click or two officers at once move it once.
"""

from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select, update

from models import (
    LoanProduct,
    ProductStatus,
    Region,
    RegionLevel,
    User,
    db,
    node_contains,
    utcnow,
)

EDITABLE = (ProductStatus.DRAFT.value, ProductStatus.DELISTED.value)
FIELDS = (
    "code",
    "name",
    "product_type",
    "description",
    "amount_min",
    "amount_max",
    "term_min_months",
    "term_max_months",
    "rate_min",
    "rate_max",
    "subject_types",
    "region_codes",
    "min_grade",
    "min_score",
    "tax_grades",
    "min_years_operating",
    "collateral_required",
    "guarantee_required",
    "valid_from",
    "valid_to",
)


class ProductRefused(ValueError):
    """A step the rules refuse (wrong state, same officer, stale version); Chinese message."""


def listed_products_query(today: date) -> Select[tuple[LoanProduct]]:
    """Products applicants can be matched to on `today`: listed and within their dates."""
    return select(LoanProduct).where(
        LoanProduct.status == ProductStatus.LISTED.value,
        LoanProduct.valid_from <= today,
        or_(LoanProduct.valid_to.is_(None), LoanProduct.valid_to >= today),
    )


def region_covers(product_regions: list[str], region_code: str) -> bool:
    """Whether a product's regions (12-digit codes) cover a need's region: empty = the whole
    county; a township code covers its villages."""
    if not product_regions:
        return True
    return any(node_contains(code, region_code) for code in product_regions)


def bank_products_query(bank_id: int, status: str | None = None) -> Select[tuple[LoanProduct]]:
    query = select(LoanProduct).where(LoanProduct.bank_id == bank_id)
    if status:
        query = query.where(LoanProduct.status == status)
    return query.order_by(LoanProduct.updated_at.desc(), LoanProduct.id.desc())


def visible_product(product_id: int, user: User) -> LoanProduct | None:
    """An officer sees every product of his bank; of other banks only listed ones. Other
    roles see listed products only."""
    product = db.session.get(LoanProduct, product_id)
    if product is None:
        return None
    if user.bank_id is not None and product.bank_id == user.bank_id:
        return product
    return product if product.status == ProductStatus.LISTED.value else None


def region_choices(county_code: str) -> list[tuple[str, str]]:
    """Townships and their villages, a village indented under its township."""
    county = county_code[:6]
    rows = db.session.execute(
        select(Region.code, Region.name, Region.level)
        .where(
            Region.code.between(county + "000001", county + "999999"),
            Region.level.in_([RegionLevel.TOWNSHIP.value, RegionLevel.VILLAGE.value]),
        )
        .order_by(Region.code)
    )
    return [
        (code, name if level == RegionLevel.TOWNSHIP.value else f"　{name}")
        for code, name, level in rows
    ]


def _code_taken(bank_id: int, code: str, product_id: int | None) -> bool:
    query = select(LoanProduct.id).where(LoanProduct.bank_id == bank_id, LoanProduct.code == code)
    if product_id is not None:
        query = query.where(LoanProduct.id != product_id)
    return db.session.scalar(query) is not None


def create_product(data: dict[str, Any], user: User) -> LoanProduct:
    """A new 草稿 of the officer's bank; `user` is its maker."""
    if _code_taken(user.bank_id, data["code"], None):
        raise ProductRefused("本行已有该产品编号")
    product = LoanProduct(
        bank_id=user.bank_id,
        status=ProductStatus.DRAFT.value,
        created_by_id=user.id,
        **{name: data[name] for name in FIELDS},
    )
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: LoanProduct, data: dict[str, Any], version: int | None) -> None:
    """Save an edit of a 草稿 (a 下架 product comes back as 草稿) opened on `version`."""
    if product.status not in EDITABLE:
        raise ProductRefused("只有草稿或已下架的产品可以修改")
    if _code_taken(product.bank_id, data["code"], product.id):
        raise ProductRefused("本行已有该产品编号")
    values = {name: data[name] for name in FIELDS}
    values.update(
        status=ProductStatus.DRAFT.value,
        version=LoanProduct.version + 1,
        updated_at=utcnow(),
        approved_by_id=None,
        approved_at=None,
    )
    _move(product, product.status, values, version, "产品已被他人修改，请刷新后再保存")


def _move(
    product: LoanProduct, from_status: str, values: dict[str, Any], version: int | None, stale: str
) -> None:
    if version is None or version != product.version:
        raise ProductRefused(stale)
    result = db.session.execute(
        update(LoanProduct)
        .where(
            LoanProduct.id == product.id,
            LoanProduct.status == from_status,
            LoanProduct.version == version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ProductRefused(stale)
    db.session.refresh(product)


def submit(product: LoanProduct, user: User, version: int | None) -> None:
    if product.status != ProductStatus.DRAFT.value:
        raise ProductRefused("只有草稿可以提交审核")
    _move(
        product,
        ProductStatus.DRAFT.value,
        {
            "status": ProductStatus.PENDING.value,
            "submitted_at": utcnow(),
            "version": LoanProduct.version + 1,
        },
        version,
        "产品状态已变化，请刷新",
    )


def approve(product: LoanProduct, user: User, version: int | None) -> None:
    """The checker lists it: another officer of the same bank than the maker."""
    if product.status != ProductStatus.PENDING.value:
        raise ProductRefused("只有待审核的产品可以审核上架")
    if user.id == product.created_by_id:
        raise ProductRefused("不能审核自己创建的产品，须由本行另一名信贷员审核")
    if user.bank_id != product.bank_id:
        raise ProductRefused("只能审核本行产品")
    _move(
        product,
        ProductStatus.PENDING.value,
        {
            "status": ProductStatus.LISTED.value,
            "approved_by_id": user.id,
            "approved_at": utcnow(),
            "version": LoanProduct.version + 1,
        },
        version,
        "产品状态已变化，请刷新",
    )


def send_back(product: LoanProduct, user: User, version: int | None) -> None:
    if product.status != ProductStatus.PENDING.value:
        raise ProductRefused("只有待审核的产品可以退回")
    _move(
        product,
        ProductStatus.PENDING.value,
        {"status": ProductStatus.DRAFT.value, "version": LoanProduct.version + 1},
        version,
        "产品状态已变化，请刷新",
    )


def delist(product: LoanProduct, user: User, version: int | None) -> None:
    if product.status != ProductStatus.LISTED.value:
        raise ProductRefused("只有已上架的产品可以下架")
    _move(
        product,
        ProductStatus.LISTED.value,
        {
            "status": ProductStatus.DELISTED.value,
            "delisted_at": utcnow(),
            "version": LoanProduct.version + 1,
        },
        version,
        "产品状态已变化，请刷新",
    )


def form_data(product: LoanProduct) -> dict[str, Any]:
    data = {name: getattr(product, name) for name in FIELDS}
    data["min_grade"] = data["min_grade"] or ""
    data["version"] = product.version
    return data


def data_from_form(form: Any) -> dict[str, Any]:
    """The product's values from a validated ProductForm (explicit fields, no mass assignment)."""
    return {
        "code": form.code.data.strip(),
        "name": form.name.data.strip(),
        "product_type": form.product_type.data,
        "description": (form.description.data or "").strip(),
        "amount_min": form.amount_min.data,
        "amount_max": form.amount_max.data,
        "term_min_months": form.term_min_months.data,
        "term_max_months": form.term_max_months.data,
        "rate_min": form.rate_min.data,
        "rate_max": form.rate_max.data,
        "subject_types": list(form.subject_types.data or []),
        "region_codes": list(form.region_codes.data or []),
        "min_grade": form.min_grade.data or None,
        "min_score": form.min_score.data,
        "tax_grades": list(form.tax_grades.data or []),
        "min_years_operating": form.min_years_operating.data,
        "collateral_required": bool(form.collateral_required.data),
        "guarantee_required": bool(form.guarantee_required.data),
        "valid_from": form.valid_from.data,
        "valid_to": form.valid_to.data,
    }
