"""Forms of the 公示 pages and of the village's preliminary review (村级初评)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from .preliminary import NOTE_MAX


class PublishForm(FlaskForm):
    submit = SubmitField(_l("发布公示"))


class PreliminaryReviewForm(FlaskForm):
    submit = SubmitField(_l("完成村级初评"))


class RecheckForm(FlaskForm):
    note = TextAreaField(
        _l("复核说明"),
        validators=[
            InputRequired(_l("请写明需要复核的情况，供信用办核实")),
            Length(max=NOTE_MAX, message=_l("复核说明不能超过 %(max)s 字", max=NOTE_MAX)),
        ],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("标记复核"))


class ResolveRecheckForm(FlaskForm):
    resolution = TextAreaField(
        _l("核实情况和处理结果"),
        validators=[
            InputRequired(_l("请写明核实情况和处理结果")),
            Length(max=2000, message=_l("不能超过 2000 字")),
        ],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("答复"))
