"""The household file's 整村授信 panel: the household's lines, for whoever acts for it (its
village's cadre, or the household's own account), with the step that turns a line into a
financing need."""

from flask import render_template
from markupsafe import Markup

from loans.access import may_act_for
from models import User, clock

from .services import household_lines, usable


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
