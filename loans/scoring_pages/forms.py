"""Forms of the model pages: promote / roll back with a written reason, start a run."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from loans.scoring.asof import SUBJECT_TYPE_LABELS, SUBJECT_TYPES


def _type_choices() -> list[tuple[str, str]]:
    return [(kind, _l(SUBJECT_TYPE_LABELS[kind])) for kind in SUBJECT_TYPES]


class ActivationForm(FlaskForm):
    """Promote a model for one subject type, or roll a type back to its previous model."""

    subject_type = SelectField(
        _l("主体类别"),
        choices=_type_choices,
        validators=[AnyOf(SUBJECT_TYPES, message=_l("请选择主体类别"))],
    )
    reason = TextAreaField(
        _l("理由"),
        validators=[
            DataRequired(_l("请填写启用或回退模型的理由。")),
            Length(max=500, message=_l("理由不能超过500字")),
        ],
        render_kw={"rows": 2},
    )


class RunForm(FlaskForm):
    kind = HiddenField(
        validators=[AnyOf(("train", "score"), message=_l("未知的任务类型"))],
    )
