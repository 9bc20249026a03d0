"""Views of publication (公示): a village's proposed results, publishing them, the printable
notice, and the certificates and plaques of effective results.

URLs live under /ratings/publication and /ratings/certificates, so they never collide with
the run and rule-set pages."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.auth.scopes import in_scope
from agri_credit.url_arguments import page_number
from models import (
    RESULT_STATUS_LABELS,
    RatingResult,
    RatingRun,
    RecheckFlag,
    Region,
    RegionRating,
    RegionResultStatus,
    ResultStatus,
    Role,
    User,
    clock,
    db,
    local_date,
)

from .. import bp
from ..access import result_or_404, run_or_404, village_or_404
from ..approvals.services import open_objection_counts, village_waits_for
from . import preliminary
from . import services as publication
from .forms import PreliminaryReviewForm, PublishForm, RecheckForm, ResolveRecheckForm
from .services import CREDIT_GRADES, PublicationError, ResultFilters, subject_name

VILLAGE_RESULTS_PER_PAGE = 50


def _today() -> date:
    return clock.today()


# ---- publication ------------------------------------------------------------------------------


@bp.route("/publication/")
@roles_required(*FILE_KEEPERS)
def publication_index():
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    query = publication.village_ratings_query(
        in_scope(RegionRating.region_code, current_user), status
    )
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    runs = {
        r.id: r
        for r in db.session.scalars(
            select(RatingRun).where(RatingRun.id.in_({i.run_id for i in page.items}))
        )
    }
    regions = {
        r.code: r
        for r in db.session.scalars(
            select(Region).where(Region.code.in_({i.region_code for i in page.items}))
        )
    }
    counts = publication.village_counts((i.run_id, i.region_code) for i in page.items)
    return render_template(
        "ratings/publication/index.html",
        page=page,
        runs=runs,
        regions=regions,
        counts=counts,
        status=status,
        status_filters=STATUS_FILTERS,
        status_labels=publication.STATUS_LABELS,
        today=_today(),
    )


STATUS_FILTERS = {s.value: publication.STATUS_LABELS[s] for s in RegionResultStatus}


@bp.route("/publication/<int:run_id>/<code>")
@roles_required(*FILE_KEEPERS)
def village_results(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    today = _today()
    grade = request.args.get("grade", "")
    filters = ResultFilters(
        q=request.args.get("q", "").strip()[:30],
        grade=grade if grade in (*CREDIT_GRADES, "none") else "",
    )
    # A page of results at a time: a village can have several hundred subjects.
    page = db.paginate(
        publication.filtered_results(run.id, code, filters),
        page=page_number(),
        per_page=VILLAGE_RESULTS_PER_PAGE,
        max_per_page=100,
    )
    return render_template(
        "ratings/publication/village.html",
        run=run,
        rating=rating,
        village=db.session.get(Region, code),
        rows=publication.village_results(run.id, code, today, [r.id for r in page.items]),
        page=page,
        filters=filters,
        grade_counts=publication.grade_counts(run.id, code),
        grade=filters.grade,
        grades=CREDIT_GRADES,
        grade_labels=publication.grade_labels(run),
        indicator_labels=publication.indicator_labels(run),
        blockers=publication.publication_blockers(run, rating),
        window_open=publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating),
        status_labels=publication.STATUS_LABELS,
        result_status_labels=RESULT_STATUS_LABELS,
        form=PublishForm(),
        days=current_app.config["PUBLICITY_DAYS"],
        today=today,
        flags=preliminary.open_flags(run.id, code),
        preliminary_form=PreliminaryReviewForm(),
        recheck_form=RecheckForm(),
        resolve_form=ResolveRecheckForm(),
        preliminary_reviewer=db.session.get(User, rating.preliminary_reviewed_by_id)
        if rating.preliminary_reviewed_by_id
        else None,
    )


@bp.route("/publication/<int:run_id>/<code>/preliminary", methods=["POST"])
@roles_required(*FILE_KEEPERS)
def preliminary_review(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    if PreliminaryReviewForm().validate_on_submit():
        try:
            preliminary.complete_preliminary_review(run, rating, current_user)
        except preliminary.PreliminaryRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已完成村级初评，可以发布公示"), "success")
    return redirect(url_for(".village_results", run_id=run.id, code=code))


@bp.route("/publication/results/<int:result_id>/recheck", methods=["POST"])
@roles_required(*FILE_KEEPERS)
def flag_recheck(result_id: int):
    result = result_or_404(result_id)
    run, rating = village_or_404(result.run_id, result.village_code)
    form = RecheckForm()
    if form.validate_on_submit():
        try:
            preliminary.flag_for_recheck(run, rating, result, form.note.data, current_user)
        except preliminary.PreliminaryRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已标记复核，信用办会核实"), "success")
    else:
        for errors in form.errors.values():
            flash("；".join(str(e) for e in errors), "danger")
    return redirect(url_for(".village_results", run_id=run.id, code=result.village_code))


@bp.route("/publication/rechecks/<int:flag_id>/resolve", methods=["POST"])
@roles_required(Role.OFFICE)
def resolve_recheck(flag_id: int):
    flag = db.get_or_404(RecheckFlag, flag_id)
    result = result_or_404(flag.result_id)  # out of scope: 404
    form = ResolveRecheckForm()
    if form.validate_on_submit():
        try:
            preliminary.resolve_flag(flag, form.resolution.data, current_user)
        except preliminary.PreliminaryRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已答复复核"), "success")
    else:
        for errors in form.errors.values():
            flash("；".join(str(e) for e in errors), "danger")
    return redirect(url_for(".village_results", run_id=result.run_id, code=result.village_code))


@bp.route("/publication/<int:run_id>/<code>/publish", methods=["POST"])
@roles_required(*FILE_KEEPERS)
def publish_village(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    form = PublishForm()
    if form.validate_on_submit():
        days = current_app.config["PUBLICITY_DAYS"]
        try:
            publication.publish_village(run, rating, current_user, _today(), days)
        except PublicationError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _("已发布公示，公示期至 %(day)s", day=rating.publicity_ends_on.isoformat()),
                "success",
            )
    return redirect(url_for(".village_results", run_id=run.id, code=code))


@bp.route("/publication/<int:run_id>/<code>/notice")
@roles_required(*FILE_KEEPERS)
def public_notice(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    if rating.status == RegionResultStatus.PROPOSED or rating.publicity_ends_on is None:
        flash(_("该村评定结果尚未发布公示"), "warning")
        return redirect(url_for(".village_results", run_id=run.id, code=code))
    notice = publication.public_notice(run, rating)
    return render_template(
        "ratings/publication/notice.html",
        notice=notice,
        objection_days=current_app.config["OBJECTION_DAYS"],
    )


# ---- certificates ----------------------------------------------------------------------------------


def certificate_number(run: RatingRun, result: RatingResult) -> str:
    """Stable and unique: the year, the run and the result."""
    return f"XYH{run.year}-{run.id:04d}-{result.id:07d}"


def plaque_number(run: RatingRun, rating: RegionRating) -> str:
    return f"XYC{run.year}-{run.id:04d}-{rating.region_code[-6:]}"


def issuing_office(run: RatingRun) -> str:
    county = db.session.get(Region, run.region_code[:6] + "000000")
    name = county.name if county else db.session.get(Region, run.region_code).name
    return _("%(name)s农村信用体系建设办公室", name=name)


@bp.route("/certificates/<int:result_id>")
@roles_required(*FILE_KEEPERS)
def certificate(result_id: int):
    result = result_or_404(result_id)
    run = run_or_404(result.run_id)
    if result.grade not in CREDIT_GRADES:
        abort(404)
    if publication.status_now(result, _today()) != ResultStatus.EFFECTIVE:
        flash(_("该评定结果尚未生效（公示期满且无未决异议后生效），暂不能打印证书"), "warning")
        return redirect(url_for(".village_results", run_id=run.id, code=result.village_code))
    village = db.session.get(Region, result.village_code)
    return render_template(
        "ratings/publication/certificate.html",
        run=run,
        result=result,
        name=subject_name(result),
        kind="household" if result.household_id else "entity",
        village=village,
        township=db.session.get(Region, village.parent_code) if village.parent_code else None,
        grade_label=publication.grade_labels(run).get(result.grade, ""),
        number=certificate_number(run, result),
        office=issuing_office(run),
        issued_on=(local_date(run.approved_at) if run.approved_at else _today()),
    )


@bp.route("/certificates/villages/<int:run_id>/<code>")
@roles_required(*FILE_KEEPERS)
def plaque(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    village = db.session.get(Region, code)
    if not rating.passed or rating.status != RegionResultStatus.APPROVED:
        # Say why there is no plaque (yet) rather than a bare "not found".
        objections = open_objection_counts(run.id, [code]).get(code, 0)
        return render_template(
            "ratings/publication/no_plaque.html",
            run=run,
            rating=rating,
            village=village,
            waits_for=village_waits_for(rating, _today(), objections),
        )
    return render_template(
        "ratings/publication/plaque.html",
        run=run,
        rating=rating,
        village=village,
        township=db.session.get(Region, village.parent_code) if village.parent_code else None,
        number=plaque_number(run, rating),
        office=issuing_office(run),
        issued_on=(local_date(rating.reviewed_at) if rating.reviewed_at else _today()),
    )
