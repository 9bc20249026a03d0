"""Bearer-token authentication and scopes of the bank API. The token in force is in
`g.api_token`; the officer it acts for in `g.api_officer`. Every call made with a token is
logged (endpoint, method, status) when the response leaves, whatever the answer."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

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
