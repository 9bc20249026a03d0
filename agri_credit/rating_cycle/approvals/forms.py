"""Forms of the review up the region tree."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("审核意见"), validators=[Length(max=2000)], render_kw={"rows": 2})
    approve = SubmitField(_l("审核通过"))
    send_back = SubmitField(_l("退回"))


class RunApprovalForm(FlaskForm):
    note = TextAreaField(_l("审定意见"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("审定本次评定"))


class RemindForm(FlaskForm):
    """催办: one village (`code`) or every unpublished village shown (`code` empty)."""

    code = HiddenField()
    message = TextAreaField(
        _l("催办说明"),
        validators=[Length(max=200, message=_l("催办说明不能超过 200 字"))],
        render_kw={"rows": 1},
    )
    submit = SubmitField(_l("催办"))
