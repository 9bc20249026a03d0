"""The loan officer's side of 信易贷: the queue of matched, authorised needs, claims (抢单),
the applicant's portrait (画像) under an authorisation, and decisions."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from . import routes  # noqa: E402,F401
