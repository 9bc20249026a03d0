from io import BytesIO

import pandas as pd
from flask import redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import entities_in_scope, in_scope
from agri_credit.departmental.links import pending_count
from models import SOURCE_LABELS, AgriEntity, Household, Region, Role, clock, db

from . import bp
from .data_coverage import build_data_coverage, chart_options, coverage_workbook
from .file_coverage import summarise_files

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@login_required
def index():
    if current_user.role == Role.OFFICER:
        return redirect(url_for("review.queue"))  # the officer's work is his queue
    if current_user.role not in (Role.CADRE, Role.OFFICE):
        return render_template("dashboard/other.html")
    rows = db.session.execute(
        select(Region.name.label("village_name"), Household.completeness, Household.missing_fields)
        .join(Region, Region.code == Household.village_code)
        .where(in_scope(Household.village_code, current_user))
    ).all()
    frame = pd.DataFrame(rows, columns=["village_name", "completeness", "missing_fields"])
    coverage = summarise_files(frame)
    entity_count = db.session.scalar(
        select(func.count()).select_from(entities_in_scope(current_user).subquery())
    )
    entity_types = db.session.execute(
        select(AgriEntity.entity_type, func.count())
        .where(in_scope(AgriEntity.village_code, current_user))
        .group_by(AgriEntity.entity_type)
    ).all()
    return render_template(
        "dashboard/files.html",
        coverage=coverage,
        entity_count=entity_count,
        entity_types=entity_types,
        link_requests=pending_count(current_user) if current_user.role == Role.OFFICE else 0,
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
    return send_file(
        BytesIO(coverage_workbook(coverage)),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"数据覆盖情况-{coverage.scope_name}-{today.isoformat()}.xlsx",
    )
