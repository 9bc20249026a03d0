"""Forms of objections (异议): registering one and answering it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import ObjectionStatus
from village_forms.validators import Phone


class ObjectionForm(FlaskForm):
    raised_by_name = StringField(
        _l("异议人姓名"), validators=[DataRequired(_l("请填写异议人姓名")), Length(max=30)]
    )
    contact = StringField(
        _l("联系电话"),
        validators=[Optional(), Phone()],  # a call-back number: mobile or landline
        render_kw={"inputmode": "tel"},
    )
    reason = TextAreaField(
        _l("异议内容及理由"),
        validators=[DataRequired(_l("请填写异议理由")), Length(max=2000)],
        render_kw={"rows": 4},
    )
    assignee = SelectField(_l("核查人"), coerce=int)
    submit = SubmitField(_l("登记异议"))


class AnswerForm(FlaskForm):
    outcome = RadioField(
        _l("处理结果"),
        choices=[
            (ObjectionStatus.CORRECTED.value, _l("异议成立：已更正档案信息并重新评定")),
            (ObjectionStatus.CONFIRMED.value, _l("经核实，维持原评定结果")),
            (ObjectionStatus.UNVERIFIABLE.value, _l("无法核实")),
        ],
        validators=[DataRequired(_l("请选择处理结果"))],
    )
    answer = TextAreaField(
        _l("书面答复及理由"),
        validators=[DataRequired(_l("请填写书面答复及理由")), Length(max=4000)],
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("提交答复"))
