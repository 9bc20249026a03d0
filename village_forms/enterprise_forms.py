"""The 中小微企业 (SME) file form: registration, region, legal representative, size."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from models import clock

from .entity_fields import EARLIEST_FOUNDING_YEAR, MAX_EMPLOYEES
from .household_fields import MAX_ENTITY_MONEY
from .household_forms import REQUIRED, money_field
from .validators import Bounded, Phone, PlainName, Uscc

# Offered as suggestions, not enforced: counties name their industries their own way.
INDUSTRY_SUGGESTIONS = (
    "农产品加工",
    "食品制造",
    "农资销售",
    "农机服务",
    "商贸",
    "电子商务",
    "物流",
    "餐饮",
    "乡村旅游",
    "建材",
    "制造业",
    "建筑业",
    "批发和零售业",
    "住宿和餐饮业",
    "信息技术服务",
)


def _normalise_code(value: str | None) -> str | None:
    """Spaces pasted from a business licence and lower-case letters are common."""
    return value.strip().replace(" ", "").upper() if isinstance(value, str) else value


class EnterpriseForm(FlaskForm):
    version = HiddenField()  # the file version this form was opened on, checked on save
    uscc = StringField(
        _l("统一社会信用代码"),
        [DataRequired(REQUIRED), Uscc()],
        filters=[_normalise_code],
        render_kw={"autocomplete": "off", "maxlength": 18},
        description=_l("营业执照上的18位代码"),
    )
    name = StringField(_l("企业名称"), [DataRequired(REQUIRED), Length(max=100), PlainName()])
    industry = StringField(
        _l("所属行业"),
        [Optional(), Length(max=40)],
        render_kw={"list": "industry-suggestions"},
        description=_l("如：农产品加工、物流、餐饮"),
    )
    region_code = SelectField(
        _l("所在地区"),
        validators=[DataRequired(REQUIRED)],
        description=_l("知道所在村的选村，否则选乡镇或本县"),
    )
    legal_representative = StringField(_l("法定代表人"), [Optional(), Length(max=30)])
    phone = StringField(
        _l("联系电话"), [Optional(), Phone()], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    registered_capital = money_field(_l("注册资本(元)"), MAX_ENTITY_MONEY)
    founded_on = DateField(_l("成立日期"), validators=[Optional()])
    employees = IntegerField(
        _l("从业人数"),
        validators=[Optional(), Bounded(MAX_EMPLOYEES, "人")],
        render_kw={"inputmode": "numeric"},
    )

    def validate_founded_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_l("成立日期不能晚于今天"))
        if field.data and field.data.year < EARLIEST_FOUNDING_YEAR:
            raise ValidationError(_l("成立日期有误，请核对"))


def field_labels() -> dict[str, str]:
    """Field name → label, so the change history reads in the user's words."""
    form = EnterpriseForm(formdata=None, meta={"csrf": False})
    return {f.name: str(f.label.text) for f in form}
