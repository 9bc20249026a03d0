"""The upload form: the filled-in template, the target village for office users, and whether
to import the valid rows when some are wrong."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired


class HouseholdUploadForm(FlaskForm):
    village_code = SelectField(_l("导入到村"), validators=[DataRequired(_l("请选择要导入的村"))])
    file = FileField(
        _l("填好的模板文件"),
        validators=[
            FileRequired(_l("请选择要上传的文件")),
            FileAllowed(["xlsx"], _l("只能上传 .xlsx 文件（Excel 2007 及以上版本）")),
        ],
        render_kw={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
    import_valid_rows = BooleanField(_l("有错误时仍导入有效行"))


class BulkUploadForm(HouseholdUploadForm):
    """The same upload for the one-sheet bulk files, which may also come as CSV."""

    file = FileField(
        _l("填好的模板文件"),
        validators=[
            FileRequired(_l("请选择要上传的文件")),
            FileAllowed(["xlsx", "csv"], _l("只能上传 .xlsx 或 .csv 文件")),
        ],
        render_kw={
            "accept": ".xlsx,.csv,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
