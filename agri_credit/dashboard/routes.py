
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from agri_credit.applicant.home import build_home
from agri_credit.applicant.own import SUBJECT_KIND_LABELS, own_subject
from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import entities_in_scope, in_scope, villages_by_township
from agri_credit.departmental.links import pending_count
from agri_credit.downloads import XLSX_MIME, ascii_filename, attachment
from agri_credit.file_panels import file_panels
from agri_credit.home_panels import home_panels
from agri_credit.rating_cycle.objections.services import STATUS_LABELS as OBJECTION_LABELS
from agri_credit.rating_cycle.publication.services import STATUS_LABELS as PUBLICATION_STATUS_LABELS
from agri_credit.rating_cycle.repairs.services import STATUS_LABELS as REPAIR_LABELS
from agri_credit.url_arguments import page_number
from models import SOURCE_LABELS, AgriEntity, Region, Role, SubjectKey, clock, db

from . import bp
from .coverage_cache import cached
from .data_coverage import (
    STALE_AFTER_MONTHS,
    build_data_coverage,
    chart_options,
    coverage_workbook,
)
from .file_coverage import load_file_groups, summarise_files
from .file_requests import FileRequestRefused, request_file, unmatched_keys, unmatched_rows
from .forms import FileRequestForm
from .work import cadre_work, office_work


@bp.route("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@login_required
def index():
    if current_user.role == Role.APPLICANT:
        return _applicant_home()
    if current_user.role == Role.OFFICER:
        return redirect(url_for("review.queue"))  # the officer's work is his queue
    if current_user.role not in (Role.CADRE, Role.OFFICE):
        return render_template("dashboard/other.html")
    # Completeness per village reads every file of the scope; it changes only with the
    # files, so it is kept under the data stamp (coverage_cache).
    coverage = cached(
        ("files", current_user.scope_code), lambda: summarise_files(load_file_groups(current_user))
    )
    entity_count = db.session.scalar(
        select(func.count()).select_from(entities_in_scope(current_user).subquery())
    )
    entity_types = db.session.execute(
        select(AgriEntity.entity_type, func.count())
        .where(in_scope(AgriEntity.village_code, current_user))
        .group_by(AgriEntity.entity_type)
    ).all()
    today = clock.today()
    if current_user.role == Role.CADRE:
        work = cadre_work(current_user, today)
    else:
        work = office_work(
            current_user,
            today,
            due_days=current_app.config["DASHBOARD_DUE_WORKING_DAYS"],
            stale_months=STALE_AFTER_MONTHS,
        )
    return render_template(
        "dashboard/files.html",
        work=work,
        publication_status_labels=PUBLICATION_STATUS_LABELS,
        today=today,
        due_days=current_app.config["DASHBOARD_DUE_WORKING_DAYS"],
        stale_months=STALE_AFTER_MONTHS,
        coverage=coverage,
        entity_count=entity_count,
        entity_types=entity_types,
        link_requests=pending_count(current_user) if current_user.role == Role.OFFICE else 0,
        home_panels=home_panels(current_user),
    )


def _applicant_home():
    """The applicant's own subject: his grade, file, objections and repairs."""
    subject = own_subject(current_user)
    if subject is None:
        return render_template("dashboard/other.html")
    today = clock.today()
    panels = file_panels(subject.kind, subject.id, current_user)  # his own score
    db.session.commit()  # the journal of his look at his score
    return render_template(
        "applicant/home.html",
        panels=panels,
        home=build_home(subject, today, current_app.config["REPAIR_MIN_MONTHS"]),
        village=db.session.get(Region, subject.village_code) if subject.village_code else None,
        kind_label=_(SUBJECT_KIND_LABELS[subject.kind]),
        objection_labels=OBJECTION_LABELS,
        repair_labels=REPAIR_LABELS,
        today=today,
    )


@bp.route("/dashboard/data")
@roles_required(Role.OFFICE, Role.CADRE)
def data_coverage():
    coverage = build_data_coverage(current_user, today=clock.today())
    labels = {
        "household": _("农户"),
        "entity": _("新型农业经营主体"),
        "enterprise": _("中小微企业"),
        "file_rate": _("建档率"),
    }
    labels.update({source.value: _(label) for source, label in SOURCE_LABELS.items()})
    return render_template(
        "dashboard/data_coverage.html",
        coverage=coverage,
        charts=chart_options(coverage, labels),
        labels=labels,
    )


@bp.route("/dashboard/data.xlsx")
@roles_required(Role.OFFICE, Role.CADRE)
def data_coverage_xlsx():
    today = clock.today()
    coverage = build_data_coverage(current_user, today=today)
    return attachment(
        coverage_workbook(coverage),
        mimetype=XLSX_MIME,
        filename=f"数据覆盖情况-{coverage.scope_name}-{today.isoformat()}.xlsx",
        fallback=ascii_filename(
            "data-coverage", current_user.scope_code, today.isoformat(), suffix=".xlsx"
        ),
    )


@bp.route("/dashboard/unmatched")
@roles_required(Role.OFFICE)
def unmatched():
    """Subjects of departmental data no file holds, with the village asked to build each."""
    page = db.paginate(
        unmatched_keys(current_user).order_by(SubjectKey.id),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    return render_template(
        "dashboard/unmatched.html",
        page=page,
        rows=unmatched_rows(page.items),
        villages=villages_by_township(current_user),
        form=FileRequestForm(),
        source_labels=SOURCE_LABELS,
    )


@bp.route("/dashboard/unmatched/<int:key_id>/request", methods=["POST"])
@roles_required(Role.OFFICE)
def request_file_for(key_id: int):
    key = db.session.scalar(unmatched_keys(current_user).where(SubjectKey.id == key_id))
    if key is None:
        abort(404)
    form = FileRequestForm()
    if form.validate_on_submit():
        try:
            request_file(key, form.village_code.data, current_user)
        except FileRequestRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已请村干部为 %(masked)s 建档", masked=key.masked), "success")
    else:
        flash(_("请选择您辖区内的一个村"), "danger")
    return redirect(url_for("dashboard.unmatched"))
