"""The household bulk-entry spreadsheet: its columns, the blank template a cadre downloads,
and the marked copy she gets back when cells are wrong. The parser that turns her filled-in
sheet into validated rows is `household_sheet_reader`.

The column list is derived from `household_fields` (choices and bounds), so the web form, the
template's drop-downs and the parser's checks cannot drift apart. Headers are part of the file
format and therefore fixed Chinese strings; messages go through Babel.
"""

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Literal, TypedDict

import pandas as pd
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import household_fields as hf
from .xlsx_writer import append_row, write_cell

HOUSEHOLD_SHEET = "农户"
MEMBER_SHEET = "家庭成员"
GUIDE_SHEET = "填写说明"
ERROR_SHEET = "错误说明"
ERROR_COLUMN = "错误说明"  # appended by mark_errors; ignored on re-upload so a fixed copy parses

Kind = Literal[
    "text", "name", "id", "phone", "choice", "decimal", "integer", "year", "uscc", "date"
]


@dataclass(frozen=True)
class SheetColumn:
    key: str  # the model / form field name
    header: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    maximum: int | None = None
    unit: str = ""
    max_length: int = 0
    width: int = 12
    minimum: int = 0  # integers and years: the smallest value allowed
    positive: bool = False  # decimals: must be above 0 (an area, a sum insured)
    future_years: int = 0  # years: how far past the current year a value may go


def _money(key: str, header: str) -> SheetColumn:
    return SheetColumn(key, header, "decimal", maximum=hf.MAX_HOUSEHOLD_MONEY, unit="元", width=14)


def _area(key: str, header: str) -> SheetColumn:
    return SheetColumn(key, header, "decimal", maximum=hf.MAX_AREA_MU, unit="亩", width=11)


HOUSEHOLD_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("group_name", "村民小组", "choice", True, hf.GROUPS, width=10),
    SheetColumn("head_name", "户主姓名", "name", True, max_length=30, width=10),
    SheetColumn("head_id_number", "户主身份证号", "id", True, width=21),
    SheetColumn("phone", "联系电话", "phone", max_length=20, width=14),
    SheetColumn("address", "住址", "text", max_length=120, width=24),
    SheetColumn("registration_type", "户籍类型", "choice", choices=hf.REGISTRATION_TYPES),
    SheetColumn("housing", "住房结构", "choice", choices=hf.HOUSING, width=10),
    SheetColumn("head_education", "文化程度", "choice", choices=hf.EDUCATION),
    SheetColumn("head_health", "健康状况", "choice", choices=hf.HEALTH, width=10),
    SheetColumn(
        "house_area_m2", "住房面积(平方米)", "decimal", maximum=hf.MAX_HOUSE_M2, unit="平方米"
    ),
    _area("land_contracted_mu", "承包地(亩)"),
    _area("land_transferred_mu", "流转地(亩)"),
    _money("income_crops", "种植收入(元/年)"),
    _money("income_livestock", "养殖收入(元/年)"),
    _money("income_business", "经营收入(元/年)"),
    _money("income_wages", "务工收入(元/年)"),
    _money("income_other", "其他收入(元/年)"),
    _money("annual_spending", "家庭年支出(元)"),
    SheetColumn("notes", "备注", "text", max_length=2000, width=20),
)

MEMBER_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("head_id_number", "户主身份证号", "id", True, width=21),
    SheetColumn("name", "成员姓名", "name", True, max_length=30, width=10),
    SheetColumn("id_number", "成员身份证号", "id", width=21),
    SheetColumn("relation", "与户主关系", "choice", True, hf.RELATIONS, width=11),
    SheetColumn("health", "健康状况", "choice", choices=hf.HEALTH, width=10),
    SheetColumn("labour_ability", "劳动能力", "choice", choices=hf.LABOUR_ABILITY, width=10),
    SheetColumn("occupation", "职业", "text", max_length=40, width=12),
)

SHEETS: dict[str, tuple[SheetColumn, ...]] = {
    HOUSEHOLD_SHEET: HOUSEHOLD_COLUMNS,
    MEMBER_SHEET: MEMBER_COLUMNS,
}
HOUSEHOLD_KEYS = tuple(c.key for c in HOUSEHOLD_COLUMNS)
MEMBER_KEYS = tuple(c.key for c in MEMBER_COLUMNS)


class SheetError(TypedDict):
    sheet: str
    row: int | None  # the Excel row number, as she sees it at the left edge
    column: str  # the Chinese header
    message: str


@dataclass
class ParsedSheet:
    """Normalised rows (blank cells and bad cells are None) and every problem found.

    `households` and `members` carry a `row` column with the Excel row number. A file-level
    problem (not an xlsx, wrong columns, too many rows) is the single error and `fatal` is set.
    """

    households: pd.DataFrame
    members: pd.DataFrame
    errors: list[SheetError] = field(default_factory=list)
    fatal: bool = False
    members_sheet_present: bool = True

    @property
    def rows_read(self) -> int:
        return len(self.households)

    def valid_households(self) -> pd.DataFrame:
        """Rows with no bad cell whose member rows are all good too: a household is imported
        whole or not at all, so a half-read member list never replaces a complete one."""
        bad_rows = {e["row"] for e in self.errors if e["sheet"] == HOUSEHOLD_SHEET}
        bad_member_rows = {e["row"] for e in self.errors if e["sheet"] == MEMBER_SHEET}
        bad_heads = set(
            self.members.loc[self.members["row"].isin(bad_member_rows), "head_id_number"].dropna()
        )
        keep = ~self.households["row"].isin(bad_rows) & ~self.households["head_id_number"].isin(
            bad_heads
        )
        return self.households[keep]

    def valid_members(self) -> pd.DataFrame:
        heads = set(self.valid_households()["head_id_number"])
        return self.members[self.members["head_id_number"].isin(heads)]


def normalise_header(value: Any) -> str:
    """A header as compared: full-width brackets, required marks (*) and spaces ignored."""
    text = "" if value is None else str(value)
    text = text.replace("（", "(").replace("）", ")").replace("*", "").replace("＊", "")
    return re.sub(r"\s+", "", text)


# ---- the blank template -----------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="E2EFDA")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
TEXT_FORMAT = "@"  # so Excel keeps 18-digit ID numbers as typed instead of 6.10528E+17


def _column_hint(column: SheetColumn) -> str:
    parts = [str(_l("必填")) if column.required else str(_l("选填"))]
    if column.kind == "id":
        parts.append(str(_l("18位身份证号，末位可为X")))
    elif column.kind == "phone":
        parts.append(str(_l("手机号11位，或固话如0913-1234567")))
    elif column.kind == "choice":
        parts.append(str(_l("从下拉列表选择：")) + "、".join(column.choices))
    elif column.kind == "decimal":
        parts.append(
            str(
                _l(
                    "不小于0的数字，上限%(max)s%(unit)s",
                    max=f"{column.maximum:,}",
                    unit=column.unit,
                )
            )
        )
    elif column.kind == "integer":
        parts.append(
            str(
                _l(
                    "%(min)s至%(max)s之间的整数%(unit)s",
                    min=column.minimum,
                    max=f"{column.maximum:,}",
                    unit=column.unit,
                )
            )
        )
    elif column.kind == "year":
        parts.append(str(_l("四位年份，如2025；不早于%(min)s年", min=column.minimum)))
    elif column.kind == "uscc":
        parts.append(str(_l("18位统一社会信用代码")))
    elif column.kind == "date":
        parts.append(str(_l("日期，如2020-05-01")))
    elif column.max_length:
        parts.append(str(_l("不超过%(n)s个字", n=column.max_length)))
    if column.kind == "decimal" and column.positive:
        parts.append(str(_l("须大于0")))
    return "；".join(parts)


def write_data_sheet(ws, columns: Sequence[SheetColumn], last_row: int) -> None:
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = write_cell(ws, 1, index, column.header)
        cell.fill = HEADER_FILL
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = Comment(_column_hint(column), "模板")
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        if column.kind in ("id", "phone", "uscc"):
            dimension.number_format = TEXT_FORMAT
        target = f"{letter}2:{letter}{last_row}"
        validation = None
        if column.kind == "choice":
            validation = DataValidation(
                type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True
            )
            validation.error = str(_l("请从下拉列表中选择"))
        elif column.kind == "decimal":
            validation = DataValidation(
                type="decimal", operator="between", formula1="0", formula2=str(column.maximum)
            )
            validation.error = _column_hint(column)
        elif column.kind in ("integer", "year"):
            top = column.maximum if column.maximum is not None else 2100
            validation = DataValidation(
                type="whole", operator="between", formula1=str(column.minimum), formula2=str(top)
            )
            validation.error = _column_hint(column)
        elif column.kind == "id":
            validation = DataValidation(type="textLength", operator="equal", formula1="18")
            validation.error = str(_l("身份证号应为18位"))
        elif column.kind == "uscc":
            validation = DataValidation(type="textLength", operator="equal", formula1="18")
            validation.error = str(_l("统一社会信用代码应为18位"))
        if validation is not None:
            validation.showErrorMessage = True
            validation.errorTitle = str(_l("输入有误"))
            validation.add(target)
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 30


def _write_guide(ws, village_name: str, max_rows: int) -> None:
    lines = [
        str(_l("农户信用档案批量导入模板")) + f" — {village_name}",
        "",
        str(_l("填写步骤")),
        str(_l("1. 在“农户”表中每户填一行；户主身份证号是每户的唯一标识。")),
        str(_l("2. 在“家庭成员”表中每位成员（不含户主）填一行，第一列填其户主的身份证号。")),
        str(_l("3. 带下拉箭头的列请从列表中选择；红色列名为必填项。")),
        str(
            _l(
                "4. 身份证号、电话列已设为文本格式；如从别处粘贴，请选择“只粘贴值”，不要让 Excel 变成科学计数法。"
            )
        ),
        str(_l("5. 每个表最多 %(n)s 行；户数更多时请分成几个文件上传。", n=f"{max_rows:,}")),
        str(
            _l("6. 上传后系统会逐格检查：有错误时不会写入任何数据，并列出每个错误的行、列和原因。")
        ),
        str(_l("7. 已建档的农户（按身份证号识别）：空白单元格表示保持原有内容不变。")),
        str(
            _l(
                "8. 某户在“家庭成员”表中有成员行时，以表中成员替换该户原有成员；没有成员行则保持不变。"
            )
        ),
        str(_l("9. 同一文件重复上传不会重复建档。")),
        "",
        str(_l("各列填写要求")),
    ]
    for row, text in enumerate(lines, start=1):
        write_cell(ws, row, 1, text)
    ws["A1"].font = Font(bold=True, size=14)
    write_column_table(ws, len(lines) + 1, SHEETS)


def write_column_table(ws, row: int, sheets: dict[str, Sequence[SheetColumn]]) -> None:
    """The instructions' table: one line per column of each data sheet, what it takes."""
    for col, text in enumerate((_l("表"), _l("列名"), _l("填写要求")), start=1):
        cell = write_cell(ws, row, col, str(text))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for sheet, columns in sheets.items():
        for column in columns:
            row += 1
            write_cell(ws, row, 1, sheet)
            write_cell(ws, row, 2, column.header)
            write_cell(ws, row, 3, _column_hint(column))
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 90


def build_template(village_name: str, max_rows: int = 5000) -> bytes:
    """A blank workbook: 农户 and 家庭成员 sheets with drop-downs, and the instructions."""
    wb = Workbook()
    households = wb.active
    households.title = HOUSEHOLD_SHEET
    write_data_sheet(households, HOUSEHOLD_COLUMNS, max_rows + 1)
    write_data_sheet(wb.create_sheet(MEMBER_SHEET), MEMBER_COLUMNS, max_rows * 3 + 1)
    _write_guide(wb.create_sheet(GUIDE_SHEET), village_name, max_rows)
    wb.properties.title = f"农户信用档案批量导入 {village_name}"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- the marked copy ------------------------------------------------------------------------

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")


def mark_errors(
    content: bytes,
    errors: Iterable[SheetError],
    sheets: dict[str, Sequence[SheetColumn]] = SHEETS,
) -> bytes:
    """The uploaded workbook with each bad cell filled red and commented, an 错误说明 column on
    each data sheet and an 错误说明 sheet listing everything. Fixed and re-uploaded as is, it
    parses normally (the extra column and sheet are ignored)."""
    errors = list(errors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(BytesIO(content))
    by_sheet_row: dict[tuple[str, int], list[str]] = {}
    for sheet in sheets:
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        headers = {normalise_header(c.value): c.column for c in ws[1] if c.value is not None}
        error_col = headers.get(ERROR_COLUMN) or ws.max_column + 1
        write_cell(ws, 1, error_col, ERROR_COLUMN).font = REQUIRED_FONT
        ws.column_dimensions[get_column_letter(error_col)].width = 50
        for row in range(2, ws.max_row + 1):  # clear an earlier round's notes
            ws.cell(row=row, column=error_col).value = None
        for error in errors:
            if error["sheet"] != sheet or not error["row"]:
                continue
            by_sheet_row.setdefault((sheet, error["row"]), []).append(
                f"{error['column']}：{error['message']}"
            )
            col = headers.get(normalise_header(error["column"]))
            if col:
                cell = ws.cell(row=error["row"], column=col)
                cell.fill = ERROR_FILL
                cell.comment = Comment(error["message"], "系统校验", width=240, height=80)
        for (s, row), messages in by_sheet_row.items():
            if s == sheet:
                cell = write_cell(ws, row, error_col, "；".join(messages))
                cell.font = ERROR_FONT
    return _with_error_summary(wb, errors)


def error_report(errors: Iterable[SheetError]) -> bytes:
    """The error list alone as a workbook: for a CSV upload, which has no cells to mark."""
    wb = Workbook()
    del wb[wb.active.title]
    return _with_error_summary(wb, list(errors))


def _with_error_summary(wb: Workbook, errors: list[SheetError]) -> bytes:
    if ERROR_SHEET in wb.sheetnames:
        del wb[ERROR_SHEET]
    summary = wb.create_sheet(ERROR_SHEET, 0)
    append_row(summary, [str(_l("工作表")), str(_l("行号")), str(_l("列")), str(_l("错误原因"))])
    for cell in summary[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for error in errors:
        append_row(summary, [error["sheet"], error["row"], error["column"], error["message"]])
    for letter, width in zip("ABCD", (10, 8, 18, 70), strict=True):
        summary.column_dimensions[letter].width = width
    summary.freeze_panes = "A2"
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == ERROR_SHEET
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
