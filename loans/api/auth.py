"""Bearer-token authentication and scopes of the bank API. The token in force is in
`g.api_token`; the officer it acts for in `g.api_officer`. Every call made with a token is
logged (endpoint, method, status) when the response leaves, whatever the answer."""

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_babel import force_locale
from flask_limiter.util import get_remote_address

from agri_credit.extensions import limiter
from models import clock, db

from . import bp
from .errors import ApiError
from .tokens import authenticate, log_call


def token_required(scope: str) -> Callable:
    """401 without a usable token; 403 when the token lacks `scope`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, secret = header.partition(" ")
            token = authenticate(secret.strip(), clock.utcnow()) if kind == "Bearer" else None
            if token is None:
                raise ApiError(401)
            g.api_token, g.api_officer = token, token.created_by
            if scope not in (token.scopes or []):
                raise ApiError(403)
            # Messages (form errors included) are Chinese whatever the client's language.
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                return view(*args, **kwargs)

        wrapped.api_scope = scope  # read by the OpenAPI document's consistency test
        return wrapped

    return decorator


@bp.after_request
def log_token_use(response):
    token = g.get("api_token")
    if token is not None:
        rule = request.url_rule.rule if request.url_rule else request.path
        log_call(token, rule, request.method, response.status_code, clock.utcnow())
        db.session.commit()
    return response


DEFAULT_RATE_LIMIT = "600 per minute"


def _caller() -> str:
    """Calls are counted per token (by a digest of the header), or per address without one."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api-token:" + hashlib.sha256(header.encode("utf-8")).hexdigest()[:24]
    return "api-address:" + get_remote_address()


# A runaway client of one bank cannot starve the others (429 with the JSON error shape).
limiter.limit(
    lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT), key_func=_caller
)(bp)
