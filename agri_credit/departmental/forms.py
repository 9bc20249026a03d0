"""Forms of the departmental import: the upload, and the column mapping built per source."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectField

from models import SOURCE_LABELS

from .sources import SourceSpec

NOT_IMPORTED = ""


class DepartmentUploadForm(FlaskForm):
    source = SelectField(
        _l("数据来源"),
        choices=[(source.value, label) for source, label in SOURCE_LABELS.items()],
    )
    file = FileField(
        _l("部门提供的文件"),
        validators=[
            FileRequired(_l("请选择要上传的文件")),
            FileAllowed(["csv", "xlsx", "txt"], _l("只能上传 CSV 或 .xlsx 文件")),
        ],
        render_kw={"accept": ".csv,.xlsx,.txt"},
    )


class MappingForm(FlaskForm):
    on_error = RadioField(
        _l("发现错误行时"),
        choices=[
            ("all_or_nothing", _l("整个文件不导入（全部正确才导入）")),
            ("keep_valid", _l("导入正确的行，错误行生成可下载的错误报告")),
        ],
        default="all_or_nothing",
    )


def mapping_form(spec: SourceSpec, headers: list[str], initial: dict[str, str]) -> MappingForm:
    """A MappingForm with one select per platform field, offering the file's headers."""

    class Form(MappingForm):
        pass

    options = [(NOT_IMPORTED, str(_l("（不导入）")))] + [(h, h) for h in headers if h]
    for f in spec.fields:
        setattr(
            Form,
            f"map_{f.name}",
            SelectField(
                f.label,
                choices=options,
                default=initial.get(f.name, NOT_IMPORTED),
                description=str(_l("必填")) if f.required else "",
            ),
        )
    return Form()


def chosen_columns(spec: SourceSpec, form: MappingForm) -> dict[str, str]:
    return {
        f.name: getattr(form, f"map_{f.name}").data
        for f in spec.fields
        if getattr(form, f"map_{f.name}").data
    }


def mapping_errors(spec: SourceSpec, columns: dict[str, str]) -> list[str]:
    """Chinese messages for a mapping that cannot work."""
    problems = [
        str(_l("“%(field)s”是必填项，请选择文件中对应的列", field=f.label))
        for f in spec.fields
        if f.required and not columns.get(f.name)
    ]
    seen: dict[str, str] = {}
    for name, header in columns.items():
        if header in seen:
            problems.append(
                str(
                    _l(
                        "列“%(header)s”同时对应了“%(a)s”和“%(b)s”",
                        header=header,
                        a=spec.field(seen[header]).label,
                        b=spec.field(name).label,
                    )
                )
            )
        seen[header] = name
    return problems
