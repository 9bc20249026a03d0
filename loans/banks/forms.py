"""Forms of the bank register: a bank, a branch, an officer account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class BankForm(FlaskForm):
    name = StringField(
        _l("机构全称"),
        validators=[
            DataRequired(_l("请填写机构全称")),
            Length(max=100, message=_l("最多 100 个字")),
        ],
    )
    short_name = StringField(
        _l("简称"),
        validators=[DataRequired(_l("请填写简称")), Length(max=30, message=_l("最多 30 个字"))],
    )


class BranchForm(FlaskForm):
    name = StringField(
        _l("网点名称"),
        validators=[
            DataRequired(_l("请填写网点名称")),
            Length(max=100, message=_l("最多 100 个字")),
        ],
    )
    region_code = SelectField(_l("所在区域"), validators=[DataRequired(_l("请选择所在区域"))])


class OfficerForm(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[
            DataRequired(_l("请填写用户名")),
            Length(min=3, max=64, message=_l("用户名长度须为 3 至 64 个字符")),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("用户名只能包含字母、数字、下划线、点和横线")),
        ],
    )
    display_name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("请填写姓名")), Length(max=60, message=_l("最多 60 个字"))],
    )
    phone = StringField(
        _l("手机号"),
        validators=[Optional(), Regexp(r"^1\d{10}$", message=_l("请填写 11 位手机号"))],
    )
    password = PasswordField(
        _l("初始密码"),
        validators=[
            DataRequired(_l("请设置初始密码")),
            Length(min=8, max=128, message=_l("密码长度须为 8 至 128 个字符")),
        ],
    )
