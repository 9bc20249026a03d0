"""Forms of credit repair: the application on the subject's behalf and the decision."""

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models import CreditRepair, User

from . import services
from .services import EVIDENCE_EXTENSIONS

COMMITMENT_TEMPLATE = (
    "本人（本单位）已纠正上述失信行为，履行了相关义务。现郑重承诺：今后严格遵守法律法规，"
    "诚信守约；如违反承诺，愿意接受相关部门依法依规实施的惩戒，并承担相应法律责任。"
)


class RepairForm(FlaskForm):
    commitment = TextAreaField(
        _l("信用承诺书"),
        validators=[DataRequired(_l("请填写信用承诺书内容")), Length(max=4000)],
        default=COMMITMENT_TEMPLATE,
        render_kw={"rows": 4},
    )
    evidence = TextAreaField(
        _l("纠正失信行为的情况说明"),
        validators=[Optional(), Length(max=4000)],
        description=_l("如已缴清罚款、履行判决义务等，写明时间与凭证编号"),
        render_kw={"rows": 4},
    )
    evidence_file = FileField(
        _l("证明材料（PDF 或图片，可选）"),
        validators=[FileAllowed(list(EVIDENCE_EXTENSIONS), _l("只能上传 PDF 或 JPG/PNG"))],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png"},
    )
    submit = SubmitField(_l("提交修复申请"))


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("审核决定"),
        choices=[("approve", _l("同意修复")), ("reject", _l("不同意修复"))],
        validators=[DataRequired(_l("请选择审核决定"))],
    )
    reasoning = TextAreaField(
        _l("审核意见及理由"),
        validators=[DataRequired(_l("请写明审核意见及理由")), Length(max=4000)],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("提交决定"))


def apply_with_form(form: RepairForm, record, user: User, today: date) -> CreditRepair:
    """Apply for repair of `record` with a validated form, its evidence file included, under
    the configured rules; raises RepairRefused (the office's page and the subject's own)."""
    upload = form.evidence_file.data
    content = upload.read() if upload and upload.filename else None
    config = current_app.config
    return services.apply_for_repair(
        record,
        commitment=form.commitment.data,
        evidence=form.evidence.data or "",
        user=user,
        today=today,
        evidence_filename=upload.filename if content is not None else "",
        evidence_file=content,
        min_months=config["REPAIR_MIN_MONTHS"],
        working_days=config["REPAIR_DECISION_WORKING_DAYS"],
        max_bytes=config["REPAIR_EVIDENCE_MAX_BYTES"],
    )
