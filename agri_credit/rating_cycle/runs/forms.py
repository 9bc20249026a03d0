"""Forms of the rating run pages: starting a run and re-running it."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import DateField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from models import (
    ProvidentFundRecord,
    SocialInsuranceRecord,
    TaxRecord,
    UtilityRecord,
    VillageEvaluation,
    clock,
    db,
)


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

    def validate_year(self, field: IntegerField) -> None:
        """A run rates a year the files have data for (村评议 or yearly departmental
        records), never a future one: a run of a year with no data rates nobody fairly and
        stays in every year selector."""
        if field.data is None:
            return
        this_year = clock.today().year
        if field.data > this_year:
            raise ValidationError(_("评定年度不能晚于今年（%(year)d年）", year=this_year))
        firsts = [
            db.session.scalar(select(func.min(column)))
            for column in (
                VillageEvaluation.year,
                TaxRecord.year,
                SocialInsuranceRecord.year,
                ProvidentFundRecord.year,
                UtilityRecord.year,
            )
        ]
        first = min((y for y in firsts if y is not None), default=this_year)
        if field.data < first:
            raise ValidationError(
                _(
                    "评定年度：%(year)d年没有可评定的数据，请选择 %(first)d–%(last)d 年",
                    year=field.data,
                    first=first,
                    last=this_year,
                )
            )


class RerunForm(FlaskForm):
    submit = SubmitField(_l("重新评定"))


class RerateForm(FlaskForm):
    """An office re-rates one subject after correcting its file; the reason is kept."""

    reason = TextAreaField(
        _l("更正内容及理由"),
        validators=[
            DataRequired(_l("请写明更正了哪些档案信息、为何重新评定")),
            Length(max=1000, message=_l("理由不能超过 1000 字")),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("重新评定该主体"))
