"""Forms of the officer's decision and of the applicant's request for a human review."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models import REJECTION_REASONS, DecisionOutcome

MAX_AMOUNT = 100_000_000  # 1亿元: anything larger is a typing error in this setting


class DecisionForm(FlaskForm):
    outcome = SelectField(
        _l("决定"),
        choices=[
            (DecisionOutcome.APPROVED.value, _l("批准")),
            (DecisionOutcome.REJECTED.value, _l("拒绝")),
            (DecisionOutcome.MORE_MATERIAL.value, _l("需补充材料")),
        ],
        validators=[DataRequired(_l("请选择决定"))],
    )
    amount = DecimalField(
        _l("批准金额（元）"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_AMOUNT, message=_l("金额应在1元至1亿元之间")),
        ],
    )
    rate = DecimalField(
        _l("年利率（%）"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0.01, max=36, message=_l("年利率应在0.01%至36%之间")),
        ],
    )
    term_months = IntegerField(
        _l("期限（月）"),
        validators=[Optional(), NumberRange(min=1, max=360, message=_l("期限应在1至360个月之间"))],
    )
    reason_code = SelectField(
        _l("拒绝原因"),
        choices=[("", _l("请选择"))] + [(k, _l(v)) for k, v in REJECTION_REASONS.items()],
        validators=[Optional()],
    )
    reason_text = TextAreaField(
        _l("说明"), validators=[Optional(), Length(max=1000, message=_l("说明不超过1000字"))]
    )

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then what each outcome requires (an empty optional field stops its
        own validator chain, so these cross-field rules live here)."""
        valid = super().validate(extra_validators)
        outcome = self.outcome.data
        required = []
        if outcome == DecisionOutcome.APPROVED:
            required = [
                (self.amount, _l("批准时请填写金额")),
                (self.rate, _l("批准时请填写年利率")),
                (self.term_months, _l("批准时请填写期限")),
            ]
        elif outcome == DecisionOutcome.REJECTED:
            required = [(self.reason_code, _l("拒绝时请选择原因"))]
        for field, message in required:
            if field.data in (None, "") and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        wanted = outcome == DecisionOutcome.MORE_MATERIAL or (
            outcome == DecisionOutcome.REJECTED and self.reason_code.data == "other"
        )
        if wanted and not (self.reason_text.data or "").strip():
            self.reason_text.errors = [
                *self.reason_text.errors,
                _l("请写明需要补充的材料或具体原因"),
            ]
            valid = False
        return valid


class ReviewRequestForm(FlaskForm):
    note = TextAreaField(
        _l("复核理由"), validators=[Optional(), Length(max=500, message=_l("复核理由不超过500字"))]
    )
