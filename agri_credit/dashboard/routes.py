import pandas as pd
from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from agri_credit.auth.scopes import entities_in_scope, in_scope
from models import AgriEntity, Household, Region, Role, db

from . import bp
from .file_coverage import summarise_files


@bp.route("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@login_required
def index():
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
    )
