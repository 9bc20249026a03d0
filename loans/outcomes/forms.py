"""The repayment event form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models import REPAYMENT_KIND_LABELS, RepaymentKind


class RepaymentEventForm(FlaskForm):
    kind = SelectField(
        _l("事项"),
        choices=[(k.value, _l(v)) for k, v in REPAYMENT_KIND_LABELS.items()],
        validators=[DataRequired(_l("请选择事项"))],
    )
    occurred_on = DateField(_l("日期"), validators=[DataRequired(_l("请填写日期"))])
    amount = DecimalField(
        _l("金额（元）"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000_000, message=_l("金额应在0至1亿元之间")),
        ],
    )
    days_overdue = IntegerField(
        _l("逾期天数"),
        validators=[
            Optional(),
            NumberRange(min=1, max=3650, message=_l("逾期天数应在1至3650之间")),
        ],
    )
    note = StringField(
        _l("备注"), validators=[Optional(), Length(max=200, message=_l("备注不超过200字"))]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == RepaymentKind.OVERDUE and self.days_overdue.data is None:
            if not self.days_overdue.errors:
                self.days_overdue.errors = [*self.days_overdue.errors, _l("逾期时请填写逾期天数")]
            valid = False
        return valid
