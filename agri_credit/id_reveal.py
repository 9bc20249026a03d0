"""Showing an ID number in full: the office asks with a reason (POST), is redirected to the
file page (so a reload never posts again), and that one page view shows the numbers. The
look is journalled with its reason when it happens. The grant lives in the user's session
for a minute and is used up by the view it was asked for."""

import time

from flask import session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

_KEY = "id_reveal"
GRANT_SECONDS = 60


class RevealForm(FlaskForm):
    reason = StringField(
        _l("查看原因"),
        validators=[
            DataRequired(_l("请填写查看完整身份证号的原因")),
            Length(max=100, message=_l("原因不超过100字")),
        ],
        render_kw={"maxlength": 100, "autocomplete": "off"},
    )


def grant(kind: str, subject_id: int, reason: str) -> None:
    """Let the next view of this file show its ID numbers in full."""
    session[_KEY] = {"file": f"{kind}:{subject_id}", "reason": reason, "at": time.time()}


def take_grant(kind: str, subject_id: int) -> str | None:
    """The reason given, if a fresh grant for this file is waiting; it is used up."""
    waiting = session.get(_KEY)
    if not waiting or waiting.get("file") != f"{kind}:{subject_id}":
        return None
    session.pop(_KEY, None)
    if time.time() - float(waiting.get("at", 0)) > GRANT_SECONDS:
        return None
    return str(waiting.get("reason", ""))
