"""The one way a view finds a rating object it may see: by id, inside the user's scope, or 404.

Every route of the rating cycle looks its runs, region ratings, results and objections up
here, so no view can forget the scope or apply a different one. (Rule sets and credit
repairs have their own single lookup in their rooms: their scope is the rule set's owner
and the repaired subject's file.)"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.scopes import region_in_scope
from models import Objection, RatingResult, RatingRun, RegionLevel, RegionRating, db

from .publication import services as publication
from .runs.services import runs_reaching


def run_or_404(run_id: int) -> RatingRun:
    """A run the user reaches: its region inside her scope, or containing it (a township
    office and a village cadre see their part of a county run)."""
    run = db.session.scalar(
        select(RatingRun).where(RatingRun.id == run_id, runs_reaching(current_user))
    )
    if run is None:
        abort(404)
    return run


def region_rating_or_404(
    run_id: int, code: str, level: RegionLevel | None = None
) -> tuple[RatingRun, RegionRating]:
    """A region's rating in a run, the region inside the user's scope (of `level` if given)."""
    run = run_or_404(run_id)
    if not region_in_scope(code, current_user):
        abort(404)
    rating = publication.region_rating(run.id, code)
    if rating is None or (level is not None and rating.level != level):
        abort(404)
    return run, rating


def village_or_404(run_id: int, code: str) -> tuple[RatingRun, RegionRating]:
    return region_rating_or_404(run_id, code, RegionLevel.VILLAGE)


def result_or_404(result_id: int) -> RatingResult:
    """A household's or entity's result, its village inside the user's scope."""
    result = db.get_or_404(RatingResult, result_id)
    if not region_in_scope(result.village_code, current_user):
        abort(404)
    return result


def objection_or_404(objection_id: int) -> Objection:
    objection = db.get_or_404(Objection, objection_id)
    if not region_in_scope(objection.result.village_code, current_user):
        abort(404)
    return objection
