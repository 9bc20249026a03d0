"""The one way a view finds a rating object it may see: by id, inside the user's scope, or 404.

Every route of the rating cycle looks its objects up here, so no view can forget the scope."""

from flask import abort
from flask_login import current_user

from agri_credit.auth.scopes import region_in_scope
from models import Objection, RatingResult, RatingRun, RegionLevel, RegionRating, db

from .publication import services as publication


def run_or_404(run_id: int) -> RatingRun:
    return db.get_or_404(RatingRun, run_id)


def village_or_404(run_id: int, code: str) -> tuple[RatingRun, RegionRating]:
    run = run_or_404(run_id)
    if not region_in_scope(code, current_user):
        abort(404)
    rating = publication.region_rating(run.id, code)
    if rating is None or rating.level != RegionLevel.VILLAGE:
        abort(404)
    return run, rating


def result_or_404(result_id: int) -> RatingResult:
    result = db.get_or_404(RatingResult, result_id)
    if not region_in_scope(result.village_code, current_user):
        abort(404)
    return result


def objection_or_404(objection_id: int) -> Objection:
    objection = db.get_or_404(Objection, objection_id)
    if not region_in_scope(objection.result.village_code, current_user):
        abort(404)
    return objection
