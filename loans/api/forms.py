"""The officer's form that makes an API token of his bank."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from models import API_SCOPE_LABELS
from village_forms.entity_forms import MultiCheckboxField


class TokenForm(FlaskForm):
    name = StringField(
        _l("令牌名称"),
        validators=[
            DataRequired(_l("请填写令牌名称，如“信贷系统生产环境”")),
            Length(max=60, message=_l("名称不超过60字")),
        ],
    )
    scopes = MultiCheckboxField(
        _l("权限范围"),
        choices=[(k, _l(v)) for k, v in API_SCOPE_LABELS.items()],
        validators=[DataRequired(_l("请至少选择一项权限范围"))],
    )


class IssueTokenForm(TokenForm):
    """The county office's form: the same, plus the officer the token acts for."""

    officer_id = SelectField(
        _l("以哪位信贷员的身份调用"),
        coerce=int,
        validate_choice=True,
        validators=[DataRequired(_l("请选择该银行的一名信贷员"))],
    )
