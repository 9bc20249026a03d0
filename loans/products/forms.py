"""The loan product form: every range checked, with a Chinese message on the field."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from models import (
    PRODUCT_TYPE_LABELS,
    RATING_GRADES,
    SUBJECT_TYPE_LABELS,
    TAX_GRADES,
)
from village_forms.entity_forms import MultiCheckboxField

MAX_AMOUNT = Decimal("100000000")  # 1 亿元: above it a figure is a typo
MAX_TERM_MONTHS = 360
MAX_RATE = Decimal("36")  # annual %: the judicial protection ceiling for private lending


class ProductForm(FlaskForm):
    version = HiddenField()
    code = StringField(
        _l("产品编号"),
        validators=[
            DataRequired(_l("请填写产品编号")),
            Length(max=40, message=_l("最多 40 个字符")),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("只能包含字母、数字、下划线和横线")),
        ],
    )
    name = StringField(
        _l("产品名称"),
        validators=[
            DataRequired(_l("请填写产品名称")),
            Length(max=100, message=_l("最多 100 个字")),
        ],
    )
    product_type = SelectField(
        _l("产品类型"),
        choices=[("", _l("请选择"))] + [(k.value, _l(v)) for k, v in PRODUCT_TYPE_LABELS.items()],
        validators=[DataRequired(_l("请选择产品类型"))],
    )
    description = TextAreaField(
        _l("产品说明"),
        validators=[Optional(), Length(max=2000, message=_l("最多 2000 个字"))],
        render_kw={"rows": 3},
    )
    amount_min = DecimalField(
        _l("最低额度（元）"),
        places=2,
        validators=[
            InputRequired(_l("请填写最低额度")),
            NumberRange(min=1, max=MAX_AMOUNT, message=_l("额度须在 1 元至 1 亿元之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    amount_max = DecimalField(
        _l("最高额度（元）"),
        places=2,
        validators=[
            InputRequired(_l("请填写最高额度")),
            NumberRange(min=1, max=MAX_AMOUNT, message=_l("额度须在 1 元至 1 亿元之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    term_min_months = IntegerField(
        _l("最短期限（月）"),
        validators=[
            InputRequired(_l("请填写最短期限")),
            NumberRange(min=1, max=MAX_TERM_MONTHS, message=_l("期限须在 1 至 360 个月之间")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    term_max_months = IntegerField(
        _l("最长期限（月）"),
        validators=[
            InputRequired(_l("请填写最长期限")),
            NumberRange(min=1, max=MAX_TERM_MONTHS, message=_l("期限须在 1 至 360 个月之间")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    rate_min = DecimalField(
        _l("最低年利率（%）"),
        places=2,
        validators=[
            InputRequired(_l("请填写最低年利率")),
            NumberRange(min=0, max=MAX_RATE, message=_l("年利率须在 %(min)s 至 %(max)s%% 之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    rate_max = DecimalField(
        _l("最高年利率（%）"),
        places=2,
        validators=[
            InputRequired(_l("请填写最高年利率")),
            NumberRange(min=0, max=MAX_RATE, message=_l("年利率须在 %(min)s 至 %(max)s%% 之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    subject_types = MultiCheckboxField(
        _l("适用对象"),
        choices=[(k, _l(v)) for k, v in SUBJECT_TYPE_LABELS.items()],
        validators=[DataRequired(_l("请至少选择一类适用对象"))],
    )
    region_codes = SelectMultipleField(
        _l("适用区域"),
        validators=[Optional()],
        description=_l("不选即全县适用；选乡镇即覆盖其所辖各村"),
        render_kw={"size": 6},
    )
    min_grade = SelectField(
        _l("最低信用等级"),
        choices=[("", _l("不限"))] + [(g, g) for g in RATING_GRADES],
        validators=[Optional()],
    )
    min_score = IntegerField(
        _l("最低风险评分"),
        validators=[
            Optional(),
            NumberRange(min=300, max=900, message=_l("评分须在 300 至 900 分之间")),
        ],
        description=_l("不填即不限"),
        render_kw={"inputmode": "numeric"},
    )
    tax_grades = MultiCheckboxField(
        _l("接受的纳税信用等级"),
        choices=[(g, g) for g in TAX_GRADES],
        validators=[Optional()],
        description=_l("不选即不限"),
    )
    min_years_operating = IntegerField(
        _l("最短经营年限（年）"),
        validators=[
            Optional(),
            NumberRange(min=0, max=50, message=_l("经营年限须在 0 至 50 年之间")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    collateral_required = BooleanField(_l("须提供抵质押"))
    guarantee_required = BooleanField(_l("须提供担保"))
    valid_from = DateField(_l("有效期起"), validators=[InputRequired(_l("请填写有效期起始日期"))])
    valid_to = DateField(_l("有效期止"), validators=[Optional()], description=_l("不填即长期有效"))

    def validate(self, extra_validators=None) -> bool:
        """Single fields first, then every range: each failure on the field it concerns."""
        ok = super().validate(extra_validators)
        pairs = (
            (self.amount_min, self.amount_max, _l("最高额度不能低于最低额度")),
            (self.term_min_months, self.term_max_months, _l("最长期限不能短于最短期限")),
            (self.rate_min, self.rate_max, _l("最高年利率不能低于最低年利率")),
            (self.valid_from, self.valid_to, _l("有效期止不能早于有效期起")),
        )
        for low, high, message in pairs:
            if low.data is not None and high.data is not None and high.data < low.data:
                high.errors = [*high.errors, message]
                ok = False
        return ok
