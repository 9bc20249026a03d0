"""Forms of 整村授信: the product's line table, the grant (village and validity), withdrawal
and taking a line up. Every failure is a Chinese message on its field."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

MAX_LINE = Decimal("10000000")  # 1000 万元: above it a household's line is a typo
MAX_DISCOUNT = Decimal("3")  # percentage points


def _amount(label, message):
    return DecimalField(
        label,
        places=2,
        validators=[
            InputRequired(message),
            NumberRange(min=0, max=MAX_LINE, message=_l("额度须在 0 至 1000 万元之间")),
        ],
        render_kw={"inputmode": "decimal"},
    )


def _discount(label):
    return DecimalField(
        label,
        places=2,
        validators=[
            InputRequired(_l("请填写利率优惠")),
            NumberRange(min=0, max=MAX_DISCOUNT, message=_l("利率优惠须在 0 至 3 个百分点之间")),
        ],
        description=_l("年利率下调的百分点，如 0.20"),
        render_kw={"inputmode": "decimal"},
    )


class TermsForm(FlaskForm):
    amount_aaa = _amount(_l("AAA 级授信额度（元）"), _l("请填写 AAA 级授信额度"))
    amount_aa = _amount(_l("AA 级授信额度（元）"), _l("请填写 AA 级授信额度"))
    amount_a = _amount(_l("A 级授信额度（元）"), _l("请填写 A 级授信额度"))
    cap_below_points = IntegerField(
        _l("评分低于（分）时封顶"),
        validators=[
            Optional(),
            NumberRange(min=300, max=900, message=_l("评分须在 300 至 900 分之间")),
        ],
        description=_l("不填即不按评分封顶；暂无评分的农户不封顶"),
        render_kw={"inputmode": "numeric"},
    )
    cap_amount = DecimalField(
        _l("封顶额度（元）"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_LINE, message=_l("额度须在 0 至 1000 万元之间")),
        ],
        description=_l("填 0 即该类农户不授信"),
        render_kw={"inputmode": "decimal"},
    )
    credit_household_discount = _discount(_l("信用户利率优惠（百分点）"))
    credit_village_discount = _discount(_l("信用村农户利率优惠（百分点）"))

    def validate_with_product(self, amount_min: Decimal, amount_max: Decimal) -> bool:
        """Single fields, then what needs the product or other fields: each on its field."""
        ok = self.validate()
        for f in (self.amount_aaa, self.amount_aa, self.amount_a):
            if f.data is not None and f.data > 0 and not amount_min <= f.data <= amount_max:
                f.errors = [
                    *f.errors,
                    _l(
                        "额度须为 0（该等级不授信）或在产品额度范围 %(low)s–%(high)s 元之内",
                        low=f"{amount_min:,.0f}",
                        high=f"{amount_max:,.0f}",
                    ),
                ]
                ok = False
        cap = self.cap_amount.data
        if cap is not None and cap > 0 and not amount_min <= cap <= amount_max:
            self.cap_amount.errors = [
                *self.cap_amount.errors,
                _l(
                    "封顶额度须为 0（不授信）或在产品额度范围 %(low)s–%(high)s 元之内",
                    low=f"{amount_min:,.0f}",
                    high=f"{amount_max:,.0f}",
                ),
            ]
            ok = False
        ordered = ((self.amount_aaa, self.amount_aa), (self.amount_aa, self.amount_a))
        for high, low in ordered:
            if high.data is not None and low.data is not None and low.data > high.data:
                low.errors = [*low.errors, _l("较低等级的额度不能高于较高等级")]
                ok = False
        if self.cap_below_points.data is not None and self.cap_amount.data is None:
            self.cap_amount.errors = [*self.cap_amount.errors, _l("按评分封顶须填写封顶额度")]
            ok = False
        if self.cap_amount.data is not None and self.cap_below_points.data is None:
            self.cap_below_points.errors = [
                *self.cap_below_points.errors,
                _l("填写封顶额度须同时填写评分线"),
            ]
            ok = False
        return ok


class GrantForm(FlaskForm):
    product_id = SelectField(_l("整村授信产品"), validators=[DataRequired(_l("请选择产品"))])
    village_code = SelectField(_l("村"), validators=[DataRequired(_l("请选择村"))])
    valid_to = DateField(_l("授信有效期止"), validators=[InputRequired(_l("请填写授信有效期止"))])


class WithdrawForm(FlaskForm):
    reason = StringField(
        _l("撤回原因"),
        validators=[
            DataRequired(_l("请填写撤回原因")),
            Length(max=200, message=_l("最多 200 个字")),
        ],
    )


class TakeUpForm(FlaskForm):
    confirm = BooleanField(
        _l("该户同意以此额度申请贷款，并授权该银行查询其档案、信用评级和违约风险评分"),
        validators=[DataRequired(_l("请确认该户已同意申请并授权该银行"))],
    )
