"""Forms of the dashboards."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length


class FileRequestForm(FlaskForm):
    """为此证件号建档: the village whose cadre builds the file (checked against the scope
    by the service)."""

    village_code = StringField(
        _l("所在村"), validators=[InputRequired(_l("请选择村")), Length(min=12, max=12)]
    )
