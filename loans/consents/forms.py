"""The household consent upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField
from wtforms.validators import InputRequired

from .services import EXTENSIONS


class ConsentForm(FlaskForm):
    file = FileField(
        _l("签字授权书（PDF 或照片）"),
        validators=[
            FileRequired(_l("请上传签字授权书的扫描件或照片")),
            FileAllowed(list(EXTENSIONS), _l("只能上传 PDF 或 JPG/PNG 图片")),
        ],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png"},
    )
    signed_on = DateField(_l("签署日期"), validators=[InputRequired(_l("请填写签署日期"))])
    valid_to = DateField(_l("有效期止"), validators=[InputRequired(_l("请填写有效期止"))])
