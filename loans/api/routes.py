"""The bank API's views: parse input, check the token's scope and the bank's reach, call the
services the officer's pages use (products, queue, portrait, claims, decisions), answer
JSON. Anything outside the token's bank is a 404."""

from decimal import Decimal
from typing import Any

from flask import current_app, g, jsonify
from sqlalchemy import func, select

from agri_credit.url_arguments import MAX_URL_INT
from loans.authorisations.services import active_authorisation, record_use
from loans.outcomes.forms import RepaymentEventForm
from loans.outcomes.services import EventInput, EventRefused
from loans.outcomes.services import record as record_repayment
from loans.products import services as products
from loans.products.forms import ProductForm
from loans.review.forms import DecisionForm
from loans.review.operations import (
    ClaimRefused,
    DecisionInput,
    DecisionRefused,
    claim,
    decide,
    holding_claim,
)
from loans.review.portrait import bank_reaches, open_portrait
from loans.review.queue import (
    COUNT_CAP,
    GRADES,
    SCORE_BANDS,
    QueueFilters,
    in_queue,
    queue_window,
)
from loans.village_lines import services as village_lines
from models import (
    FinancingNeed,
    LineStatus,
    LoanDecision,
    LoanProduct,
    ProductStatus,
    clock,
    db,
)

from . import bp
from .auth import token_required
from .errors import ApiError
from .openapi import openapi_document
from .params import as_formdata, choice_arg, form_errors, int_arg, json_body, paging
from .serialise import (
    claim_json,
    decision_json,
    need_json,
    portrait_json,
    product_json,
    repayment_json,
    village_line_json,
)


def _page(
    items: list[Any], total: int, page: int, per_page: int, more: bool = False
) -> dict[str, Any]:
    """A page of a list; `more` says the count stopped at its cap (there are more)."""
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
        "more": more,
    }


def _bank_id() -> int:
    return g.api_token.bank_id


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


# --- products ---------------------------------------------------------------------------


def _own_product(product_id: int) -> LoanProduct:
    product = db.session.get(LoanProduct, product_id)
    if product is None or product.bank_id != _bank_id():
        raise ApiError(404)
    return product


@bp.get("/products")
@token_required("products:read")
def list_products():
    status = choice_arg("status", [s.value for s in ProductStatus])
    page, per_page = paging()
    query = products.bank_products_query(_bank_id(), status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return jsonify(_page([product_json(p) for p in rows], total, page, per_page))


@bp.get("/products/<int:product_id>")
@token_required("products:read")
def get_product(product_id: int):
    return jsonify(product_json(_own_product(product_id)))


@bp.patch("/products/<int:product_id>")
@token_required("products:write")
def update_product(product_id: int):
    """Edit a 草稿 or 下架 product (it comes back as 草稿 for the maker-checker step), with
    the version it was read at; the same form as the officer's page validates it."""
    product = _own_product(product_id)
    body = json_body()
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ApiError(422, fields={"version": ["请提供读取产品时的版本号 version"]})
    unknown = sorted(set(body) - set(products.FIELDS) - {"version"})
    if unknown:
        raise ApiError(422, fields={k: ["不能通过接口修改该字段"] for k in unknown})
    values = {**products.form_data(product), **body}
    form = ProductForm(formdata=as_formdata(values), meta={"csrf": False})
    form.region_codes.choices = products.region_choices(g.api_officer.scope_code)
    if not form.validate():
        raise ApiError(422, fields=form_errors(form))
    try:
        products.update_product(product, products.data_from_form(form), version)
    except products.ProductRefused as refused:
        raise ApiError(409, str(refused)) from refused
    db.session.commit()
    return jsonify(product_json(product))


# --- matched needs, portrait, claims, decisions -------------------------------------------


def _queue_filters() -> QueueFilters:
    product = int_arg("product_id", 1, MAX_URL_INT)
    amounts = {}
    for name in ("amount_min", "amount_max"):
        amounts[name] = int_arg(name, 0, 10**12)
    return QueueFilters(
        product_id=product,
        amount_min=Decimal(amounts["amount_min"]) if amounts["amount_min"] is not None else None,
        amount_max=Decimal(amounts["amount_max"]) if amounts["amount_max"] is not None else None,
        grade=choice_arg("grade", GRADES),
        score_band=choice_arg("score_band", list(SCORE_BANDS)),
        claimed=choice_arg("claimed", ["free", "mine"]),
    )


@bp.get("/needs")
@token_required("needs:read")
def list_needs():
    """The bank's queue: open needs matched to its listed products whose applicants
    authorise it now, highest score first."""
    filters = _queue_filters()
    page, per_page = paging()
    now = clock.utcnow()
    # The officer's queue, counted and paged as his page does: highest score first.
    rows, total = queue_window(_bank_id(), now, filters, page, per_page)
    items = [
        need_json(
            need,
            {
                "product_id": product_id,
                "score_points": points,
                "credit_grade": grade,
                "approval_chance": chance,
                "claim": {
                    "mine": True,
                    "claimed_until": claimed_until.isoformat(timespec="seconds") + "Z",
                    "product_id": None,
                }
                if claim_bank
                else None,
            },
        )
        for need, product_id, points, grade, chance, claim_bank, claimed_until in rows
    ]
    return jsonify(_page(items, total, page, per_page, more=total >= COUNT_CAP))


def _reached_need(need_id: int) -> FinancingNeed:
    need = db.session.get(FinancingNeed, need_id)
    if need is None or not bank_reaches(need, _bank_id(), clock.utcnow()):
        raise ApiError(404)
    return need


def _need_detail(need: FinancingNeed) -> dict[str, Any]:
    now = clock.utcnow()
    decisions = db.session.scalars(
        select(LoanDecision)
        .where(LoanDecision.need_id == need.id, LoanDecision.bank_id == _bank_id())
        .order_by(LoanDecision.decided_at.desc(), LoanDecision.id.desc())
    )
    return need_json(
        need,
        {
            "claim": claim_json(holding_claim(need.id, now), _bank_id(), now),
            "decisions": [decision_json(d) for d in decisions],
        },
    )


@bp.get("/needs/<int:need_id>")
@token_required("needs:read")
def get_need(need_id: int):
    """The need, and this bank's claim and decisions on it. The read goes to the applicant's
    use log while an authorisation covers the bank (the need is theirs to see)."""
    need = _reached_need(need_id)
    body = _need_detail(need)
    authorisation = active_authorisation(_bank_id(), need.subject_type, need.subject_id)
    if authorisation is not None:
        record_use(
            authorisation,
            g.api_officer,
            "通过银行接口查看融资需求",
            detail={"need_id": need.id, "via": "api"},
        )
    db.session.commit()
    return jsonify(body)


@bp.get("/needs/<int:need_id>/portrait")
@token_required("portrait:read")
def get_portrait(need_id: int):
    """Only while an authorisation covers the bank; every read goes to the applicant's use
    log (open_portrait writes it) and is committed with the answer."""
    need = _reached_need(need_id)
    shown = open_portrait(need, g.api_officer, clock.today())
    body = portrait_json(shown)
    db.session.commit()
    return jsonify(body)


@bp.post("/needs/<int:need_id>/claim")
@token_required("claims:write")
def claim_need(need_id: int):
    need = _reached_need(need_id)
    if not in_queue(_bank_id(), need.id, clock.utcnow()):
        # Claimed or decided before, but no longer matched, open and authorised: not again.
        raise ApiError(409, "该需求已不在本行的待对接列表中（未授权、已结束或已被他行抢单）")
    body = json_body()
    product_id = body.get("product_id")
    if product_id is not None:
        valid = type(product_id) is int and 1 <= product_id <= MAX_URL_INT
        listed = valid and db.session.scalar(
            products.listed_products_query(clock.today()).where(
                LoanProduct.id == product_id, LoanProduct.bank_id == _bank_id()
            )
        )
        if not listed:
            raise ApiError(422, fields={"product_id": ["应为本行已上架产品的编号"]})
    try:
        claim(
            need,
            g.api_officer,
            product_id,
            clock.today(),
            clock.utcnow(),
            current_app.config.get("NEED_CLAIM_WORKING_DAYS", 3),
        )
    except ClaimRefused as refused:
        raise ApiError(409, str(refused)) from refused
    db.session.commit()
    return jsonify(_need_detail(need)), 201


@bp.post("/needs/<int:need_id>/decisions")
@token_required("decisions:write")
def decide_need(need_id: int):
    need = _reached_need(need_id)
    body = json_body()
    fields = ("outcome", "amount", "rate", "term_months", "reason_code", "reason_text")
    form = DecisionForm(
        formdata=as_formdata({k: body[k] for k in fields if k in body}), meta={"csrf": False}
    )
    if not form.validate():
        raise ApiError(422, fields=form_errors(form))
    data = DecisionInput(
        outcome=form.outcome.data,
        amount=form.amount.data,
        rate=form.rate.data,
        term_months=form.term_months.data,
        reason_code=form.reason_code.data or None,
        reason_text=form.reason_text.data or "",
    )
    try:
        decision = decide(need, g.api_officer, data, clock.utcnow())
    except DecisionRefused as refused:
        raise ApiError(409, str(refused)) from refused
    db.session.commit()
    return jsonify(decision_json(decision)), 201


# --- repayment events ---------------------------------------------------------------------


@bp.post("/decisions/<int:decision_id>/repayments")
@token_required("outcomes:write")
def post_repayment(decision_id: int):
    """A disbursement or repayment event of a loan this bank approved, through the same form
    and service as the officer's 本行贷款 page (loans.outcomes)."""
    decision = db.session.get(LoanDecision, decision_id)
    if decision is None or decision.bank_id != _bank_id():
        raise ApiError(404)
    body = json_body()
    fields = ("kind", "occurred_on", "amount", "days_overdue", "note")
    form = RepaymentEventForm(
        formdata=as_formdata({k: body[k] for k in fields if k in body}), meta={"csrf": False}
    )
    if not form.validate():
        raise ApiError(422, fields=form_errors(form))
    data = EventInput(
        kind=form.kind.data,
        occurred_on=form.occurred_on.data,
        amount=form.amount.data,
        days_overdue=form.days_overdue.data,
        note=form.note.data or "",
    )
    try:
        event = record_repayment(decision, g.api_officer, data, clock.today())
    except EventRefused as refused:
        raise ApiError(409, str(refused)) from refused
    db.session.commit()
    return jsonify(repayment_json(event)), 201


# --- 整村授信 lines -------------------------------------------------------------------------


@bp.get("/village-lines")
@token_required("village_lines:read")
def list_village_lines():
    """The bank's pre-approved lines, newest grant first. A household's name, amount and rate
    only while it authorises the bank, and each such line answered goes to its use log (as
    the grant page does); the others come with the masked name."""
    status = choice_arg("status", [s.value for s in LineStatus])
    grant_id = int_arg("grant_id", 1, MAX_URL_INT)
    page, per_page = paging()
    query = village_lines.bank_lines_query(_bank_id(), grant_id, status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    authorised = village_lines.authorised_households(
        _bank_id(), [line.household_id for line, *_rest in rows]
    )
    for line, *_rest in rows:
        if (authorisation := authorised.get(line.household_id)) is not None:
            record_use(
                authorisation,
                g.api_officer,
                f"通过银行接口查看整村授信额度（批次 #{line.grant_id}）",
                category="rating",
                detail={"village_line_id": line.id, "via": "api"},
            )
    db.session.commit()  # the use log of what was answered
    items = [
        village_line_json(line, name, village, product, line.household_id in authorised)
        for line, name, village, product in rows
    ]
    return jsonify(_page(items, total, page, per_page))
