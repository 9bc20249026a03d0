"""Jinja filters and globals shared by every template."""

import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from agri_credit.audit import event_title
from agri_credit.form_errors import error_links
from agri_credit.number_formats import money, points, score, thousands
from agri_credit.ratings.figures import Comparison, percent_beside
from agri_credit.ratings.rules import Threshold
from models import ENTITY_TYPE_LABELS, ROLE_LABELS, Permission, Role, local_date, local_time


def amount(value: Decimal | float | int | None) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)).normalize():f}"


def isodate(value: date | datetime | None) -> str:
    """A date as 2026-12-02; a (naive UTC) timestamp as the server's local 2026-12-02 21:45."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return local_time(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def localdate(value: datetime | None) -> str:
    """The server's local calendar date of a naive-UTC timestamp."""
    return "—" if value is None else local_date(value).isoformat()


def beside(value: float | None, threshold: Threshold | Comparison | None = None) -> str:
    """A ratio (in percent) to one decimal, or, beside the threshold it is judged against,
    with the decimals that keep it from contradicting the decision (ratings.figures; a
    Comparison carries the run's rounding reading)."""
    if value is None or math.isnan(float(value)):
        return "—"
    if threshold is None:
        return f"{float(value):.1f}%"
    decimals = threshold.decimals if isinstance(threshold, Comparison) else None
    return percent_beside(float(value), threshold.op, threshold.value, decimals)


def vocab(value: Any) -> Any:
    """A stored word of a file's vocabulary (配偶, 砖混, 种植险 …; village_forms) in the
    reader's language; anything else (empty, numbers, free text not in the catalog) as is."""
    if not isinstance(value, str) or not value:
        return value
    return gettext(value)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments replaced (sorting, paging, filters)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def tel(value: str | None) -> Markup | str:
    """A phone number a phone can call with one tap; "—" when there is none."""
    if not value:
        return "—"
    digits = re.sub(r"[^0-9+]", "", value)
    if not digits:
        return value
    return Markup('<a href="tel:{}" class="text-nowrap">{}</a>').format(digits, value)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money,
        amount=amount,
        isodate=isodate,
        localdate=localdate,
        thousands=thousands,
        score=score,
        points=points,
        beside=beside,
        tel=tel,
        vocab=vocab,
    )
    app.jinja_env.globals.update(
        url_with=url_with,
        Role=Role,
        Permission=Permission,
        ROLE_LABELS=ROLE_LABELS,
        ENTITY_TYPE_LABELS=ENTITY_TYPE_LABELS,
        form_error_links=error_links,
        event_title=event_title,
    )

    @app.context_processor
    def inject_locale() -> dict[str, Any]:
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
