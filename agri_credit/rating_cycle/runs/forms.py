"""Forms of the rating run pages: starting a run and re-running it."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from models import clock


class RunForm(FlaskForm):
    region = SelectField(_l("评定地区"), validators=[InputRequired(_l("请选择评定地区"))])
    year = IntegerField(
        _l("评定年度"),
        validators=[
            InputRequired(_l("请填写评定年度")),
            NumberRange(2000, 2100, _l("年度应在 2000–2100 之间")),
        ],
    )
    as_of = DateField(
        _l("数据截止日期"),
        validators=[InputRequired(_l("请填写数据截止日期"))],
        description=_l("部门数据（贷款、公共信用记录）只计入该日期及以前的记录"),
    )
    rule_set = SelectField(
        _l("评定办法"), coerce=int, validators=[InputRequired(_l("请选择已发布的评定办法"))]
    )
    submit = SubmitField(_l("开始评定"))

    def validate_as_of(self, field: DateField) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_("数据截止日期不能晚于今天"))


class RerunForm(FlaskForm):
    submit = SubmitField(_l("重新评定"))
