"""The authorisation form: bank or product, purpose, data categories, period, the warning's
explicit consent for sensitive data and the written authorisation itself."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from models import DATA_CATEGORY_LABELS, SENSITIVE_CATEGORIES, DataCategory
from village_forms.entity_forms import MultiCheckboxField

DEFAULT_CATEGORIES = [DataCategory.FILE.value, DataCategory.RATING.value, DataCategory.SCORE.value]


class AuthorisationForm(FlaskForm):
    # Choices are checked by the route (an active bank, a listed product): either may be empty.
    bank_id = SelectField(_l("授权银行"), default="", validate_choice=False)
    product_id = SelectField(
        _l("或：授权某一产品所属银行"),
        default="",
        validate_choice=False,
        description=_l("选择产品时，授权给该产品所属银行"),
    )
    purpose = StringField(
        _l("授权用途"),
        default="贷款申请审查",
        validators=[
            DataRequired(_l("请填写授权用途")),
            Length(max=200, message=_l("最多 200 个字")),
        ],
    )
    categories = MultiCheckboxField(
        _l("允许查询的数据"),
        choices=[(k.value, _l(v)) for k, v in DATA_CATEGORY_LABELS.items()],
        default=DEFAULT_CATEGORIES,
        validators=[DataRequired(_l("请至少选择一类数据"))],
    )
    explicit_consent = BooleanField(
        _l("我已阅读上方提示，明确同意该银行查询所勾选的收入、资产、纳税等敏感信息")
    )
    valid_until = DateField(
        _l("授权截止日期"), validators=[InputRequired(_l("请填写授权截止日期"))]
    )
    agree = BooleanField(
        _l("我已阅读并同意《信用信息查询使用授权书》，授权上述银行仅为上述用途在授权期内查询"),
        validators=[DataRequired(_l("须勾选同意授权书后才能授权"))],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.bank_id.data and not self.product_id.data:
            self.bank_id.errors = [*self.bank_id.errors, _l("请选择授权银行或产品")]
            ok = False
        sensitive = {c for c in (self.categories.data or [])} & {
            c.value for c in SENSITIVE_CATEGORIES
        }
        if sensitive and not self.explicit_consent.data:
            self.explicit_consent.errors = [
                *self.explicit_consent.errors,
                _l("勾选了收入、资产或纳税数据，须明确同意后才能授权"),
            ]
            ok = False
        return ok
