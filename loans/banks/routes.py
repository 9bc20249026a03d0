"""Views of the bank register (county credit office only)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from loans.access import county_office_required
from loans.api.forms import IssueTokenForm
from loans.api.tokens import (
    TokenRefused,
    bank_token_or_none,
    bank_tokens,
    issue_token,
    recent_uses,
    revoke_token,
)
from models import API_SCOPE_LABELS, Bank, User, db

from . import bp
from . import services as banks
from .forms import BankForm, BranchForm, OfficerForm


@bp.route("/", methods=["GET", "POST"])
@county_office_required
def index():
    form = BankForm()
    if form.validate_on_submit():
        try:
            bank = banks.register_bank(form.name.data, form.short_name.data)
        except banks.BankRefused as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            record_event("bank.create", "bank", bank.id, f"登记银行机构 {bank.name}")
            db.session.commit()
            flash(_("已登记 %(name)s", name=bank.name), "success")
            return redirect(url_for(".show", bank_id=bank.id))
    return render_template("loans/banks/index.html", rows=banks.bank_rows(), form=form)


def _forms() -> tuple[BranchForm, OfficerForm]:
    branch_form = BranchForm(prefix="branch")
    branch_form.region_code.choices = banks.region_choices(current_user.scope_code)
    return branch_form, OfficerForm(prefix="officer")


def _render_bank(bank: Bank, branch_form: BranchForm, officer_form: OfficerForm):
    return render_template(
        "loans/banks/show.html",
        bank=bank,
        officers=banks.bank_officers(bank.id),
        branch_form=branch_form,
        officer_form=officer_form,
    )


@bp.route("/<int:bank_id>")
@county_office_required
def show(bank_id: int):
    bank = db.get_or_404(Bank, bank_id)
    return _render_bank(bank, *_forms())


@bp.route("/<int:bank_id>/branches", methods=["POST"])
@county_office_required
def add_branch(bank_id: int):
    bank = db.get_or_404(Bank, bank_id)
    branch_form, officer_form = _forms()
    if branch_form.validate_on_submit():
        try:
            branch = banks.add_branch(bank, branch_form.name.data, branch_form.region_code.data)
        except banks.BankRefused as exc:
            db.session.rollback()
            branch_form.name.errors.append(str(exc))
        else:
            record_event("bank.branch.create", "bank", bank.id, f"登记网点 {branch.name}")
            db.session.commit()
            flash(_("已登记网点 %(name)s", name=branch.name), "success")
            return redirect(url_for(".show", bank_id=bank.id))
    return _render_bank(bank, branch_form, officer_form), 400


@bp.route("/<int:bank_id>/officers", methods=["POST"])
@county_office_required
def add_officer(bank_id: int):
    bank = db.get_or_404(Bank, bank_id)
    branch_form, officer_form = _forms()
    if officer_form.validate_on_submit():
        try:
            officer = banks.add_officer(
                bank,
                username=officer_form.username.data.strip(),
                display_name=officer_form.display_name.data,
                phone=officer_form.phone.data or "",
                password=officer_form.password.data,
                county_code=current_user.scope_code[:6] + "000000",
            )
        except banks.BankRefused as exc:
            db.session.rollback()
            officer_form.username.errors.append(str(exc))
        else:
            record_event("user.create", "user", officer.id, f"开设信贷员账号 {officer.username}")
            db.session.commit()
            flash(_("已开设信贷员账号 %(name)s", name=officer.username), "success")
            return redirect(url_for(".show", bank_id=bank.id))
    return _render_bank(bank, branch_form, officer_form), 400


# ---- the bank's API tokens, issued and revoked by the county office -----------------------


def _token_form(bank: Bank, formdata: bool = True) -> IssueTokenForm:
    form = IssueTokenForm() if formdata else IssueTokenForm(formdata=None)
    form.officer_id.choices = [
        (o.id, f"{o.display_name}（{o.username}）")
        for o in banks.bank_officers(bank.id)
        if o.active
    ]
    return form


def _render_tokens(bank: Bank, form: IssueTokenForm, secret: str | None = None, status=200):
    tokens = bank_tokens(bank.id)
    return render_template(
        "loans/api/tokens.html",
        bank=bank,
        form=form,
        tokens=tokens,
        uses=recent_uses([t.id for t in tokens]),
        names={t.id: t.name for t in tokens},
        scope_labels=API_SCOPE_LABELS,
        secret=secret,
        create_url=url_for(".issue_token_for_bank", bank_id=bank.id),
        revoke_endpoint="banks.revoke_bank_token",
        route_args={"bank_id": bank.id},
    ), status


@bp.get("/<int:bank_id>/api-tokens")
@county_office_required
def bank_api_tokens(bank_id: int):
    bank = db.get_or_404(Bank, bank_id)
    return _render_tokens(bank, _token_form(bank, formdata=False))


@bp.post("/<int:bank_id>/api-tokens")
@county_office_required
def issue_token_for_bank(bank_id: int):
    bank = db.get_or_404(Bank, bank_id)
    form = _token_form(bank)
    if not form.validate_on_submit():
        return _render_tokens(bank, form, status=400)
    officer = db.session.get(User, form.officer_id.data)
    try:
        made = issue_token(current_user, officer, form.name.data, form.scopes.data)
    except TokenRefused as refused:
        db.session.rollback()
        form.officer_id.errors = [*form.officer_id.errors, str(refused)]
        return _render_tokens(bank, form, status=400)
    db.session.commit()
    # The secret is in this answer only: no redirect, no flash, no session.
    return _render_tokens(bank, _token_form(bank, formdata=False), secret=made.secret)


@bp.post("/<int:bank_id>/api-tokens/<int:token_id>/revoke")
@county_office_required
def revoke_bank_token(bank_id: int, token_id: int):
    bank = db.get_or_404(Bank, bank_id)
    token = bank_token_or_none(token_id, bank.id)
    if token is None:
        abort(404)
    if revoke_token(token, current_user):
        db.session.commit()
        flash(_("令牌已撤销，使用它的调用立即失效。"), "success")
    else:
        flash(_("该令牌此前已撤销。"), "info")
    return redirect(url_for(".bank_api_tokens", bank_id=bank.id))
