"""The score panel of a file page: the subject's current score (`loans.scoring.current`),
its points band and reasons, for the county credit office; each look is journalled like
other sensitive views. The template `scoring/_score_panel.html` takes `score` (a
CurrentScore or None) and `band`, so the applicant's and the bank's pages include it too."""

from flask import render_template
from markupsafe import Markup

from agri_credit.audit import record_event
from loans.scoring.bands import band_of, band_range
from loans.scoring.current import current_score
from models import User

from .access import is_county_office


def score_context(subject_type: str, subject_id: int) -> dict:
    """What `_score_panel.html` needs for one subject; `score` is None before any model
    scored it (the panel then says 暂无评分)."""
    score = current_score(subject_type, subject_id)
    band = band_of(score.points) if score else None
    return {"score": score, "band": band, "band_range": band_range(band) if band else ""}


def render_score_panel(subject_type: str, subject_id: int, user: User) -> Markup:
    """The panel's HTML, its viewing journalled (the caller commits). For pages that have
    already decided the user may see this subject's score: the subject itself, a bank under
    an authorisation."""
    context = score_context(subject_type, subject_id)
    record_event(
        "credit_score.view",
        subject_type,
        subject_id,
        "查看违约风险评分",
        {"points": context["score"].points if context["score"] else None},
        user=user,
    )
    return Markup(render_template("scoring/_score_panel.html", **context))


def score_panel(subject_type: str, subject_id: int, user: User) -> Markup | None:
    """The file pages' provider (agri_credit.file_panels): the county office only."""
    if not is_county_office(user):
        return None
    return render_score_panel(subject_type, subject_id, user)
