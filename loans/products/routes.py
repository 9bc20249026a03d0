"""Views of loan products: the officer's list, the form, the product page and its steps, and
the public list of listed products."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agri_credit.audit import record_event
from agri_credit.file_versions import parse_version
from agri_credit.url_arguments import page_number
from loans.access import officer_required
from models import (
    N_,
    PRODUCT_STATUS_LABELS,
    SUBJECT_TYPE_LABELS,
    LoanProduct,
    ProductStatus,
    Region,
    clock,
    db,
)

from . import bp
from . import services as products
from .forms import ProductForm

STEPS = {
    "submit": (products.submit, "product.submit", N_("已提交审核")),
    "approve": (products.approve, "product.approve", N_("已审核上架")),
    "send_back": (products.send_back, "product.send_back", N_("已退回草稿")),
    "delist": (products.delist, "product.delist", N_("已下架")),
}


@bp.route("/")
@officer_required
def index():
    status = request.args.get("status", "")
    if status not in PRODUCT_STATUS_LABELS:
        status = ""
    page = db.paginate(
        products.bank_products_query(current_user.bank_id, status or None),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    return render_template(
        "loans/products/index.html",
        page=page,
        status=status,
        status_labels=PRODUCT_STATUS_LABELS,
    )


@bp.route("/market")
@login_required
def market():
    """Every bank's listed products valid today: what applicants can apply for."""
    query = products.listed_products_query(clock.today()).order_by(
        LoanProduct.bank_id, LoanProduct.rate_min, LoanProduct.id
    )
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    return render_template("loans/products/market.html", page=page)


def _form(product: LoanProduct | None = None) -> ProductForm:
    data = products.form_data(product) if product is not None and request.method == "GET" else None
    form = ProductForm(data=data)
    form.region_codes.choices = products.region_choices(current_user.scope_code)
    if product is None and request.method == "GET":
        form.valid_from.data = clock.today()
    return form


@bp.route("/new", methods=["GET", "POST"])
@officer_required
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            product = products.create_product(products.data_from_form(form), current_user)
        except products.ProductRefused as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            record_event("product.create", "loan_product", product.id, f"新建产品 {product.name}")
            db.session.commit()
            flash(_("已保存为草稿，提交审核后由本行另一名信贷员审核上架"), "success")
            return redirect(url_for(".show", product_id=product.id))
    return render_template("loans/products/form.html", form=form, product=None)


def _own_product_or_404(product_id: int) -> LoanProduct:
    product = db.session.get(LoanProduct, product_id)
    if product is None or product.bank_id != current_user.bank_id:
        abort(404)
    return product


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@officer_required
def edit(product_id: int):
    product = _own_product_or_404(product_id)
    if product.status not in products.EDITABLE:
        flash(_("只有草稿或已下架的产品可以修改"), "warning")
        return redirect(url_for(".show", product_id=product.id))
    form = _form(product)
    if form.validate_on_submit():
        try:
            products.update_product(
                product, products.data_from_form(form), parse_version(form.version.data)
            )
        except products.ProductRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            record_event(
                "product.update",
                "loan_product",
                product.id,
                f"修改产品 {product.name}",
                subject_version=product.version,
            )
            db.session.commit()
            flash(_("已保存为草稿"), "success")
            return redirect(url_for(".show", product_id=product.id))
    return render_template("loans/products/form.html", form=form, product=product)


@bp.route("/<int:product_id>")
@login_required
def show(product_id: int):
    product = products.visible_product(product_id, current_user)
    if product is None:
        abort(404)
    own = current_user.bank_id is not None and product.bank_id == current_user.bank_id
    regions = {}
    if product.region_codes:
        regions = dict(
            db.session.execute(
                db.select(Region.code, Region.name).where(Region.code.in_(product.region_codes))
            ).all()
        )
    return render_template(
        "loans/products/show.html",
        product=product,
        own=own,
        regions=regions,
        subject_labels=SUBJECT_TYPE_LABELS,
        ProductStatus=ProductStatus,
    )


@bp.route("/<int:product_id>/<any(submit, approve, send_back, delist):step>", methods=["POST"])
@officer_required
def step(product_id: int, step: str):
    product = _own_product_or_404(product_id)
    action, event, message = STEPS[step]
    try:
        action(product, current_user, parse_version(request.form.get("version")))
    except products.ProductRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        record_event(event, "loan_product", product.id, f"{message} {product.name}")
        db.session.commit()
        flash(_(message), "success")
    return redirect(url_for(".show", product_id=product.id))
