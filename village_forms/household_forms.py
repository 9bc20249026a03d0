"""The household credit file form: head, contact, land, income, and repeatable parts."""

from datetime import date

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
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from models import clock

from . import household_fields as hf
from .identifiers import id_birth_date, id_gender, id_number_error
from .validators import Bounded, IdNumber, Phone, PlainName
from .wtf_helpers import RowList

REQUIRED = _l("此项为必填项")
ADULT_AGE = 18
SEX_WORDS = {"男": _l("男性"), "女": _l("女性")}
# The sex a relation to the head implies (配偶: the head's opposite, checked separately).
RELATION_GENDERS = {
    "子": "男",
    "女婿": "男",
    "孙子": "男",
    "父亲": "男",
    "兄弟": "男",
    "女": "女",
    "儿媳": "女",
    "孙女": "女",
    "母亲": "女",
    "姐妹": "女",
}


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def money_field(label: str, maximum: float = hf.MAX_HOUSEHOLD_MONEY, required: bool = False):
    first = InputRequired(REQUIRED) if required else Optional()
    return DecimalField(
        label,
        places=2,
        validators=[first, Bounded(maximum, "元")],
        render_kw={"inputmode": "decimal"},
    )


def area_field(label: str, maximum: float = hf.MAX_AREA_MU, unit: str = "亩"):
    return DecimalField(
        label,
        places=2,
        validators=[Optional(), Bounded(maximum, unit)],
        render_kw={"inputmode": "decimal"},
    )


class MemberForm(Form):
    key = HiddenField()
    name = StringField(_l("姓名"), [DataRequired(REQUIRED), Length(max=30), PlainName()])
    id_number = StringField(
        _l("身份证号"), [Optional(), IdNumber()], render_kw={"autocomplete": "off"}
    )
    relation = SelectField(
        _l("与户主关系"), choices=hf.choices(hf.RELATIONS), validators=[DataRequired(REQUIRED)]
    )
    health = SelectField(_l("健康状况"), choices=hf.choices(hf.HEALTH, ""))
    labour_ability = SelectField(_l("劳动能力"), choices=hf.choices(hf.LABOUR_ABILITY, ""))
    occupation = StringField(_l("职业"), [Optional(), Length(max=40)])


class AssetForm(Form):
    kind = SelectField(
        _l("资产类别"), choices=hf.choices(hf.ASSET_KINDS), validators=[DataRequired(REQUIRED)]
    )
    description = StringField(_l("说明"), [Optional(), Length(max=100)])
    value = money_field(_l("估值(元)"), required=True)


class LiabilityForm(Form):
    kind = SelectField(
        _l("负债类别"), choices=hf.choices(hf.LIABILITY_KINDS), validators=[DataRequired(REQUIRED)]
    )
    creditor = StringField(_l("债权人/银行"), [Optional(), Length(max=60)])
    balance = money_field(_l("余额(元)"), required=True)
    start_date = DateField(_l("借款日期"), validators=[Optional()])
    due_date = DateField(_l("到期日期"), validators=[Optional()])
    overdue_days = IntegerField(
        _l("逾期天数"), validators=[Optional(), Bounded(hf.MAX_OVERDUE_DAYS, "天")]
    )

    def validate_due_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("到期日期不能早于借款日期"))


class ProductionForm(Form):
    kind = SelectField(
        _l("类别"), choices=hf.choices(hf.PRODUCTION_KINDS), validators=[DataRequired(REQUIRED)]
    )
    name = StringField(_l("品种"), [DataRequired(REQUIRED), Length(max=30)])
    quantity = DecimalField(
        _l("规模"), places=2, validators=[InputRequired(REQUIRED), Bounded(hf.MAX_QUANTITY)]
    )
    unit = SelectField(
        _l("单位"), choices=hf.choices(hf.PRODUCTION_UNITS), validators=[DataRequired(REQUIRED)]
    )


class InsuranceForm(Form):
    kind = SelectField(
        _l("险种"), choices=hf.choices(hf.INSURANCE_KINDS), validators=[DataRequired(REQUIRED)]
    )
    insurer = StringField(_l("承保机构"), [Optional(), Length(max=60)])
    insured_amount = money_field(_l("保额(元)"), required=True)
    year = IntegerField(
        _l("年度"), validators=[InputRequired(REQUIRED), Bounded(2100, minimum=2000)]
    )


class EvaluationForm(Form):
    year = IntegerField(
        _l("评议年度"), validators=[InputRequired(REQUIRED), Bounded(2100, minimum=2000)]
    )
    law_abiding = IntegerField(
        _l("遵纪守法(0-25)"), validators=[InputRequired(REQUIRED), Bounded(hf.EVALUATION_ITEM_MAX)]
    )
    neighbourliness = IntegerField(
        _l("邻里关系(0-25)"), validators=[InputRequired(REQUIRED), Bounded(hf.EVALUATION_ITEM_MAX)]
    )
    elder_care = IntegerField(
        _l("赡养老人(0-25)"), validators=[InputRequired(REQUIRED), Bounded(hf.EVALUATION_ITEM_MAX)]
    )
    diligence = IntegerField(
        _l("勤劳致富(0-25)"), validators=[InputRequired(REQUIRED), Bounded(hf.EVALUATION_ITEM_MAX)]
    )
    overall = SelectField(
        _l("综合评价"),
        choices=hf.choices(hf.EVALUATION_GRADES),
        validators=[DataRequired(REQUIRED)],
    )
    remarks = StringField(_l("备注"), [Optional(), Length(max=200)])


class RecordForm(Form):
    polarity = SelectField(
        _l("类型"),
        choices=[("", _l("请选择")), *((v, _l(label)) for v, label in hf.RECORD_POLARITIES)],
        validators=[DataRequired(REQUIRED)],
    )
    category = SelectField(
        _l("类别"), choices=hf.choices(hf.RECORD_CATEGORIES), validators=[DataRequired(REQUIRED)]
    )
    description = StringField(_l("事由"), [DataRequired(REQUIRED), Length(max=200)])
    occurred_on = DateField(_l("发生日期"), validators=[InputRequired(REQUIRED)])
    ended_on = DateField(_l("结束日期"), validators=[Optional()])
    source = StringField(_l("来源"), [Optional(), Length(max=40)])

    def validate_occurred_on(self, field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_l("发生日期不能晚于今天"))

    def validate_ended_on(self, field) -> None:
        if field.data and self.occurred_on.data and field.data < self.occurred_on.data:
            raise ValidationError(_l("结束日期不能早于发生日期"))


class HouseholdForm(FlaskForm):
    version = HiddenField()  # the file version this form was opened on, checked on save
    village_code = SelectField(_l("所属村"), validators=[DataRequired(REQUIRED)])
    group_name = SelectField(
        _l("村民小组"), choices=hf.choices(hf.GROUPS), validators=[DataRequired(REQUIRED)]
    )
    head_name = StringField(_l("户主姓名"), [DataRequired(REQUIRED), Length(max=30), PlainName()])
    head_id_number = StringField(
        _l("户主身份证号"), [IdNumber()], render_kw={"autocomplete": "off"}
    )
    head_education = SelectField(_l("文化程度"), choices=hf.choices(hf.EDUCATION, ""))
    head_health = SelectField(_l("健康状况"), choices=hf.choices(hf.HEALTH, ""))
    phone = StringField(
        _l("联系电话"), [Optional(), Phone()], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    address = StringField(_l("住址"), [Optional(), Length(max=120)])
    registration_type = SelectField(_l("户籍类型"), choices=hf.choices(hf.REGISTRATION_TYPES, ""))
    housing = SelectField(_l("住房结构"), choices=hf.choices(hf.HOUSING, ""))
    house_area_m2 = area_field(_l("住房面积(平方米)"), hf.MAX_HOUSE_M2, "平方米")
    land_contracted_mu = area_field(_l("承包地(亩)"))
    land_transferred_mu = area_field(_l("流转地(亩)"))
    income_crops = money_field(_l("种植收入(元/年)"))
    income_livestock = money_field(_l("养殖收入(元/年)"))
    income_business = money_field(_l("经营收入(元/年)"))
    income_wages = money_field(_l("务工收入(元/年)"))
    income_other = money_field(_l("其他收入(元/年)"))
    annual_spending = money_field(_l("家庭年支出(元)"))
    notes = TextAreaField(_l("备注"), [Optional(), Length(max=2000)])
    # Shown once a head under 18 is refused: a child heading a household is rare but real.
    confirm_minor_head = BooleanField(_l("已核实：户主确未满18周岁"))

    members = RowList(FormField(MemberForm))
    assets = RowList(FormField(AssetForm))
    liabilities = RowList(FormField(LiabilityForm))
    production = RowList(FormField(ProductionForm))
    insurance = RowList(FormField(InsuranceForm))
    evaluations = RowList(FormField(EvaluationForm))
    records = RowList(FormField(RecordForm))

    def __init__(
        self,
        *args,
        require_head_id: bool = True,
        stored_head: tuple[str, date | None] = ("", None),
        stored_member_genders: dict[str, str] | None = None,
        **kwargs,
    ) -> None:
        """On edit, a blank ID keeps the stored one: `stored_head` (gender, birth date) and
        `stored_member_genders` (member key → gender) stand in for it in the checks."""
        super().__init__(*args, **kwargs)
        self.require_head_id = require_head_id
        self.stored_head = stored_head
        self.stored_member_genders = stored_member_genders or {}
        self.minor_head_refused = False
        if not require_head_id:
            self.head_id_number.description = _l("留空则保持原身份证号不变")

    def validate_head_id_number(self, field) -> None:
        if self.require_head_id and not (field.data or "").strip():
            raise ValidationError(REQUIRED)
        born = self._head()[1]
        if born and _age(born, clock.today()) < ADULT_AGE and not self.confirm_minor_head.data:
            self.minor_head_refused = True
            raise ValidationError(
                _l(
                    "户主身份证号：户主未满18周岁（%(age)d岁），请核对；确由未成年人当家的，"
                    "请勾选下方“已核实”后保存",
                    age=_age(born, clock.today()),
                )
            )

    def _head(self) -> tuple[str, date | None]:
        """The head's gender and birth date: from the typed ID, else the stored one."""
        typed = (self.head_id_number.data or "").strip().upper()
        if typed and id_number_error(typed) is None:
            return id_gender(typed), id_birth_date(typed)
        return self.stored_head if not typed else ("", None)

    def validate_members(self, field) -> None:
        """Each member's relation agrees with the sex in her ID number (the 17th digit), and
        no ID number appears twice in one file."""
        head_gender = self._head()[0]
        seen = {}
        head_id = (self.head_id_number.data or "").strip().upper()
        if head_id:
            seen[head_id] = str(_l("户主"))
        problems = 0
        for n, row in enumerate(field, start=1):
            member = row.form
            who = _l("第%(n)d位成员（%(name)s）", n=n, name=member.name.data or "")
            typed = (member.id_number.data or "").strip().upper()
            if typed and id_number_error(typed) is None:
                gender = id_gender(typed)
                if typed in seen:
                    member.id_number.errors.append(
                        _l("%(who)s身份证号：与%(other)s的相同", who=who, other=seen[typed])
                    )
                    problems += 1
                seen.setdefault(typed, str(who))
            elif typed:
                continue  # the ID's own error is already shown
            else:
                gender = self.stored_member_genders.get(member.key.data or "", "")
            expected = RELATION_GENDERS.get(member.relation.data)
            if member.relation.data == "配偶" and head_gender:
                expected = "女" if head_gender == "男" else "男"
            if gender and expected and gender != expected:
                member.relation.errors.append(
                    _l(
                        "%(who)s与户主关系：“%(relation)s”应为%(expected)s，"
                        "但身份证号显示为%(gender)s，请核对",
                        who=who,
                        relation=member.relation.data,
                        expected=SEX_WORDS[expected],
                        gender=SEX_WORDS[gender],
                    )
                )
                problems += 1
        if problems:
            raise ValidationError(_l("家庭成员有 %(n)d 处需要核对，见下方红色提示", n=problems))

    def validate_evaluations(self, field) -> None:
        years = [row.form.year.data for row in field if row.form.year.data]
        if len(years) != len(set(years)):
            raise ValidationError(_l("同一年度只能有一条村评议"))


def row_templates() -> dict[str, Form]:
    """Blank row forms whose fields are named with __prefix__, for the add-row buttons."""
    form_classes = {
        "members": MemberForm,
        "assets": AssetForm,
        "liabilities": LiabilityForm,
        "production": ProductionForm,
        "insurance": InsuranceForm,
        "evaluations": EvaluationForm,
        "records": RecordForm,
    }
    return {name: cls(prefix=f"{name}-__prefix__-") for name, cls in form_classes.items()}


# The repeatable parts as the form's headings name them (a FieldList's own label is its
# attribute name, "Members", which must never reach a cadre).
PART_LABELS = {
    "members": _l("家庭成员"),
    "assets": _l("资产"),
    "liabilities": _l("负债"),
    "production": _l("种植与养殖"),
    "insurance": _l("农业保险"),
    "evaluations": _l("村评议"),
    "records": _l("荣誉与不良记录"),
}


def field_labels() -> dict[str, str]:
    """Field name → label, so the change history reads in the cadre's words."""
    form = HouseholdForm(formdata=None, meta={"csrf": False})
    labels = {f.name: str(f.label.text) for f in form if f.name not in PART_LABELS}
    labels.update({name: str(label) for name, label in PART_LABELS.items()})
    return labels
