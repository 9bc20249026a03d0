"""The financing need form."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from models import COLLATERAL_LABELS, GUARANTEE_LABELS, URGENCY_LABELS

MAX_AMOUNT = Decimal("100000000")


class NeedForm(FlaskForm):
    version = HiddenField()
    amount = DecimalField(
        _l("融资金额（元）"),
        places=2,
        validators=[
            InputRequired(_l("请填写融资金额")),
            NumberRange(min=1000, max=MAX_AMOUNT, message=_l("融资金额须在 1000 元至 1 亿元之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    term_months = IntegerField(
        _l("期限（月）"),
        validators=[
            InputRequired(_l("请填写期限")),
            NumberRange(min=1, max=360, message=_l("期限须在 1 至 360 个月之间")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    purpose = StringField(
        _l("资金用途"),
        validators=[
            DataRequired(_l("请填写资金用途")),
            Length(max=200, message=_l("最多 200 个字")),
        ],
        description=_l("如：购买化肥种子、扩建果库、购置农机"),
    )
    collateral = SelectField(
        _l("可提供的抵质押"),
        choices=[(k.value, _l(v)) for k, v in COLLATERAL_LABELS.items()],
        validators=[DataRequired(_l("请选择抵质押情况"))],
    )
    collateral_note = StringField(
        _l("抵质押物说明"),
        validators=[Optional(), Length(max=200, message=_l("最多 200 个字"))],
    )
    guarantee = SelectField(
        _l("可提供的担保"),
        choices=[(k.value, _l(v)) for k, v in GUARANTEE_LABELS.items()],
        validators=[DataRequired(_l("请选择担保情况"))],
    )
    urgency = SelectField(
        _l("紧急程度"),
        choices=[(k.value, _l(v)) for k, v in URGENCY_LABELS.items()],
        default="normal",
        validators=[DataRequired(_l("请选择紧急程度"))],
    )
