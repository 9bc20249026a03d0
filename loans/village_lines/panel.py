"""The household file's 整村授信 panel: the household's lines, for whoever acts for it (its
village's cadre, or the household's own account), with the step that turns a line into a
financing need."""

from flask import render_template
from markupsafe import Markup

from loans.access import may_act_for
from models import Role, User, clock, db

from .services import bank_grants, household_lines, uptake_by_grant, usable, village_grants


def line_panel(subject_type: str, subject_id: int, user: User) -> Markup | None:
    if subject_type != "household" or may_act_for(user, "household", subject_id) is None:
        return None
    lines = household_lines(subject_id)
    if not lines:
        return None
    today = clock.today()
    return Markup(
        render_template(
            "loans/village_lines/_household_panel.html",
            lines=lines,
            usable={line.id: usable(line, today) for line in lines},
        )
    )


def home_panel(user: User) -> Markup | None:
    """The first page's 整村授信 summary: a cadre's village's lines and their use; an
    officer's bank's grants, their uptake and those waiting for him to check."""
    if user.role == Role.CADRE:
        grants = [g for g in village_grants(user.scope_code) if g.status == "approved"]
        if not grants:
            return None
        return Markup(
            render_template(
                "loans/village_lines/_home_panel.html",
                grants=grants,
                uptake=uptake_by_grant([g.id for g in grants]),
                waiting=[],
            )
        )
    if user.role == Role.OFFICER and user.bank_id is not None:
        grants = list(db.session.scalars(bank_grants(user.bank_id).limit(20)))
        if not grants:
            return None
        return Markup(
            render_template(
                "loans/village_lines/_home_panel.html",
                grants=[g for g in grants if g.status == "approved"][:5],
                uptake=uptake_by_grant([g.id for g in grants]),
                waiting=[
                    g for g in grants if g.status == "pending" and g.prepared_by_id != user.id
                ],
            )
        )
    return None
