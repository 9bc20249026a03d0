"""Thin views over link requests: the office's task list and its confirm / refuse actions."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.auth.permissions import roles_required
from models import Role, db

from . import bp
from .links import KIND_LABELS, LinkRefused, decide, pending_tasks

SHOW_ENDPOINTS = {
    "household": ("households.show", "household_id"),
    "entity": ("entities.show", "entity_id"),
    "enterprise": ("enterprises.show", "enterprise_id"),
}


@bp.route("/links")
@roles_required(Role.OFFICE)
def link_requests():
    return render_template(
        "departmental/links.html",
        tasks=pending_tasks(current_user),
        kind_labels=KIND_LABELS,
        show_endpoints=SHOW_ENDPOINTS,
    )


@bp.route("/links/<int:request_id>/<any(confirm, refuse):action>", methods=["POST"])
@roles_required(Role.OFFICE)
def decide_link(request_id: int, action: str):
    try:
        decided = decide(request_id, current_user, confirm=action == "confirm")
    except LinkRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
        return redirect(url_for("departmental.link_requests"))
    if decided is None:
        abort(404)  # not hers to decide, or already decided: its existence is not disclosed
    db.session.commit()
    flash(_("已确认关联") if action == "confirm" else _("已拒绝关联"), "success")
    return redirect(url_for("departmental.link_requests"))
