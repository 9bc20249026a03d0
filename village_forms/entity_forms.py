"""The 新型农业经营主体 credit file form: identity, operator, scale, finances, qualifications,
and the repeatable positive/negative records shared with household files."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from models import ENTITY_TYPE_LABELS, EntityType, clock

from . import entity_fields as ef
from .household_fields import choices
from .household_forms import REQUIRED, RecordForm, area_field, money_field
from .validators import Bounded, IdNumber, Phone, PlainName, Uscc
from .wtf_helpers import RowList


def _normalise_code(value: str | None) -> str | None:
    """USCC and ID numbers: spaces pasted from documents and a lower-case x are common."""
    return value.strip().replace(" ", "").upper() if isinstance(value, str) else value


class MultiCheckboxField(SelectMultipleField):
    """A multi-select shown as checkboxes: easier than a <select multiple> on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def count_field(label: str, maximum: int, unit: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), Bounded(maximum, unit)],
        render_kw={"inputmode": "numeric"},
    )


class EntityForm(FlaskForm):
    version = HiddenField()  # the file version this form was opened on, checked on save
    entity_type = SelectField(
        _l("主体类型"),
        choices=[("", _l("请选择")), *((v, _l(label)) for v, label in ef.ENTITY_TYPES)],
        validators=[DataRequired(REQUIRED)],
    )
    name = StringField(_l("主体名称"), [DataRequired(REQUIRED), Length(max=100), PlainName()])
    uscc = StringField(
        _l("统一社会信用代码"),
        [Optional(), Uscc()],
        filters=[_normalise_code],
        render_kw={"autocomplete": "off", "maxlength": 18},
        description=_l("种养大户未办理登记的可不填，但须填写经营者身份证号"),
    )
    village_code = SelectField(_l("所属村"), validators=[DataRequired(REQUIRED)])
    operator_name = StringField(
        _l("经营者/法定代表人"), [DataRequired(REQUIRED), Length(max=30), PlainName()]
    )
    operator_id_number = StringField(
        _l("经营者身份证号"),
        [Optional(), IdNumber()],
        filters=[_normalise_code],
        render_kw={"autocomplete": "off", "maxlength": 18},
    )
    phone = StringField(
        _l("联系电话"), [Optional(), Phone()], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    address = StringField(_l("经营地址"), [Optional(), Length(max=120)])
    founded_on = DateField(_l("成立日期"), validators=[Optional()])

    member_count = count_field(_l("成员数(户/人)"), ef.MAX_ENTITY_MEMBERS, "人")
    farmer_capital_share = DecimalField(
        _l("农民成员出资占比(%)"),
        places=2,
        validators=[Optional(), Bounded(ef.MAX_SHARE_PERCENT, "%")],
        render_kw={"inputmode": "decimal"},
    )
    employees = count_field(_l("雇工人数"), ef.MAX_EMPLOYEES, "人")
    land_mu = area_field(_l("经营土地面积(亩)"), ef.MAX_ENTITY_LAND_MU)
    herd_size = count_field(_l("畜禽存栏(头/只/羽)"), ef.MAX_HERD_SIZE, "")
    main_products = StringField(_l("主要产品"), [Optional(), Length(max=100)])

    annual_revenue = money_field(_l("年营业收入(元)"), ef.MAX_ENTITY_MONEY)
    total_assets = money_field(_l("资产总额(元)"), ef.MAX_ENTITY_MONEY)
    total_debts = money_field(_l("负债总额(元)"), ef.MAX_ENTITY_MONEY)

    insurance = StringField(
        _l("农业保险"),
        [Optional(), Length(max=100)],
        description=_l("险种、保额，如：小麦种植险 保额20万元"),
    )
    certifications = MultiCheckboxField(
        _l("认证"), choices=[(c, _l(c)) for c in ef.CERTIFICATIONS], validators=[Optional()]
    )
    demonstration_level = SelectField(
        _l("示范社/示范农场级别"), choices=choices(ef.DEMONSTRATION_LEVELS, "")
    )
    sales_channels = StringField(
        _l("销售渠道"),
        [Optional(), Length(max=100)],
        description=_l("如：订单收购、批发市场、电商、超市直供"),
    )
    keeps_books = BooleanField(_l("有规范的财务账簿"))
    notes = TextAreaField(_l("备注"), [Optional(), Length(max=2000)])

    records = RowList(FormField(RecordForm))

    def __init__(self, *args, has_stored_operator_id: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_stored_operator_id = has_stored_operator_id
        if has_stored_operator_id:
            self.operator_id_number.description = _l("留空则保持原身份证号不变")

    def validate_founded_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_l("成立日期不能晚于今天"))
        if field.data and field.data.year < ef.EARLIEST_FOUNDING_YEAR:
            raise ValidationError(_l("成立日期有误，请核对"))

    def validate(self, extra_validators=None) -> bool:
        # Rules that depend on the type run after the per-field checks, and only add to them:
        # a per-field Optional() would otherwise stop a "required for co-ops" check on a blank.
        valid = super().validate(extra_validators)
        return self._check_type_rules() and valid

    def _check_type_rules(self) -> bool:
        kind = self.entity_type.data
        if kind not in ENTITY_TYPE_LABELS:
            return True  # the type itself is already flagged as missing
        ok = self._check_identification(kind)
        if kind == EntityType.COOPERATIVE:
            ok = self._check_cooperative() and ok
        return ok

    def _check_identification(self, kind: str) -> bool:
        """A USCC for every type, except that a 种养大户 may be known by the operator's ID."""
        if self.uscc.data or self.uscc.errors:
            return True
        if kind not in ef.USCC_OPTIONAL_TYPES:
            label = ENTITY_TYPE_LABELS[EntityType(kind)]
            self.uscc.errors.append(_l("%(type)s须填写统一社会信用代码", type=label))
            return False
        has_operator_id = bool(self.operator_id_number.data) or self.has_stored_operator_id
        if has_operator_id or self.operator_id_number.errors:
            return True
        self.uscc.errors.append(_l("种养大户须填写统一社会信用代码或经营者身份证号（至少一项）"))
        return False

    def _check_cooperative(self) -> bool:
        ok = True
        uscc = self.uscc.data
        if uscc and not self.uscc.errors and not uscc.startswith(ef.COOPERATIVE_USCC_PREFIX):
            self.uscc.errors.append(
                _l("农民专业合作社的统一社会信用代码应以93开头，请核对是否填错主体类型")
            )
            ok = False
        if self.member_count.errors:
            return False
        if self.member_count.data is None:
            self.member_count.errors.append(_l("农民专业合作社须填写成员数"))
            return False
        if self.member_count.data < ef.COOPERATIVE_MIN_MEMBERS:
            self.member_count.errors.append(
                _l(
                    "农民专业合作社成员应不少于%(n)d名（农民专业合作社法第十二条）",
                    n=ef.COOPERATIVE_MIN_MEMBERS,
                )
            )
            return False
        return ok


def record_row_template() -> Form:
    """A blank record row whose fields are named with __prefix__, for the add-row button."""
    return RecordForm(prefix="records-__prefix__-")


def field_labels() -> dict[str, str]:
    """Field name → label, so the change history reads in the cadre's words."""
    form = EntityForm(formdata=None, meta={"csrf": False})
    labels = {f.name: str(f.label.text) for f in form}
    labels["records"] = str(_l("荣誉与不良记录"))
    return labels
