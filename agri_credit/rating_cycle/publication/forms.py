"""Form of the 公示 pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField


class PublishForm(FlaskForm):
    submit = SubmitField(_l("发布公示"))
