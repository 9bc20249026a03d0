"""Views of the bank register (county credit office only)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from loans.access import county_office_required
from models import Bank, db

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
