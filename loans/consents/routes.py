"""Views of household consents (cadre only, her village's households)."""

from pathlib import PurePath

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.audit import record_event
from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import household_or_404, households_in_scope
from agri_credit.downloads import ascii_filename, attachment
from agri_credit.url_arguments import page_number
from loans.access import consents_in_force, valid_consent
from models import Household, HouseholdConsent, Role, clock, db

from . import bp
from . import services as consents
from .forms import ConsentForm

MAX_BYTES_DEFAULT = 5 * 1024 * 1024


def max_bytes() -> int:
    return int(current_app.config.get("REPAIR_EVIDENCE_MAX_BYTES", MAX_BYTES_DEFAULT))


@bp.route("/")
@roles_required(Role.CADRE)
def index():
    """The village's households, each with the consent the cadre acts under (if any)."""
    q = request.args.get("q", "").strip()
    query = households_in_scope(current_user).order_by(Household.head_name, Household.id)
    if q:
        query = query.where(Household.head_name.contains(q))
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    today = clock.today()
    current = consents_in_force([h.id for h in page.items], today)
    return render_template("loans/consents/index.html", page=page, current=current, q=q)


@bp.route("/household/<int:household_id>", methods=["GET", "POST"])
@roles_required(Role.CADRE)
def household(household_id: int):
    household = household_or_404(household_id, current_user)
    today = clock.today()
    form = ConsentForm()
    if request.method == "GET":
        form.signed_on.data = today
    if form.validate_on_submit():
        upload = form.file.data
        try:
            consent = consents.record_consent(
                household.id,
                filename=upload.filename or "consent",
                content=upload.read(),
                signed_on=form.signed_on.data,
                valid_to=form.valid_to.data,
                today=today,
                user=current_user,
                max_bytes=max_bytes(),
            )
        except consents.ConsentRefused as exc:
            db.session.rollback()
            form.file.errors.append(str(exc))
        else:
            record_event(
                "consent.upload",
                "household",
                household.id,
                f"上传农户签字授权书，有效期至 {consent.valid_to}",
            )
            db.session.commit()
            flash(_("已记录签字授权书，可代该户发布融资需求和授权银行"), "success")
            next_url = url_for("needs.create", subject_type="household", subject_id=household.id)
            return redirect(next_url)
    return render_template(
        "loans/consents/household.html",
        household=household,
        form=form,
        history=consents.consents_of(household.id),
        current=valid_consent(household.id, today),
        max_mb=max_bytes() // (1024 * 1024),
    )


@bp.route("/<int:consent_id>/file")
@roles_required(Role.CADRE)
def file(consent_id: int):
    consent = db.get_or_404(HouseholdConsent, consent_id)
    household_or_404(consent.household_id, current_user)
    content = db.session.scalar(
        select(HouseholdConsent.content).where(HouseholdConsent.id == consent.id)
    )
    if content is None:
        abort(404)
    record_event("consent.view", "household", consent.household_id, "查看签字授权书")
    db.session.commit()
    name = consent.filename or "consent"
    response = attachment(
        bytes(content),
        mimetype="application/octet-stream",
        filename=name,
        fallback=ascii_filename("signed-consent", consent.id, suffix=PurePath(name).suffix),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
