"""The household bulk-entry spreadsheet: its columns, the blank template a cadre downloads,
the parser that turns her filled-in sheet into validated rows, and the marked copy she gets
back when cells are wrong.

The column list is derived from `household_fields` (choices and bounds), so the web form, the
template's drop-downs and the parser's checks cannot drift apart. Headers are part of the file
format and therefore fixed Chinese strings; messages go through Babel.
"""

import logging
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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
from .identifiers import id_number_error, name_error, phone_error
from .xlsx_archive import XlsxLimits, xlsx_archive_problem
from .xlsx_writer import append_row, write_cell

log = logging.getLogger(__name__)

HOUSEHOLD_SHEET = "农户"
MEMBER_SHEET = "家庭成员"
GUIDE_SHEET = "填写说明"
ERROR_SHEET = "错误说明"
ERROR_COLUMN = "错误说明"  # appended by mark_errors; ignored on re-upload so a fixed copy parses

Kind = Literal["text", "name", "id", "phone", "choice", "decimal"]

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
ENCRYPTED_MARKER = "EncryptionInfo".encode("utf-16-le")
CENTS = Decimal("0.01")


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


def _error(sheet: str, row: int | None, column: str, message: Any) -> SheetError:
    return {"sheet": sheet, "row": row, "column": column, "message": str(message)}


def _empty_frame(columns: Sequence[SheetColumn]) -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="int64"), **{c.key: [] for c in columns}})


def _fatal(message: Any, sheet: str = "") -> ParsedSheet:
    return ParsedSheet(
        households=_empty_frame(HOUSEHOLD_COLUMNS),
        members=_empty_frame(MEMBER_COLUMNS),
        errors=[_error(sheet, None, "", message)],
        fatal=True,
    )


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
    elif column.max_length:
        parts.append(str(_l("不超过%(n)s个字", n=column.max_length)))
    return "；".join(parts)


def _write_data_sheet(ws, columns: Sequence[SheetColumn], last_row: int) -> None:
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = write_cell(ws, 1, index, column.header)
        cell.fill = HEADER_FILL
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = Comment(_column_hint(column), "模板")
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width
        if column.kind in ("id", "phone"):
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
        elif column.kind == "id":
            validation = DataValidation(type="textLength", operator="equal", formula1="18")
            validation.error = str(_l("身份证号应为18位"))
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
    row = len(lines) + 1
    for col, text in enumerate((_l("表"), _l("列名"), _l("填写要求")), start=1):
        cell = write_cell(ws, row, col, str(text))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for sheet, columns in SHEETS.items():
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
    _write_data_sheet(households, HOUSEHOLD_COLUMNS, max_rows + 1)
    _write_data_sheet(wb.create_sheet(MEMBER_SHEET), MEMBER_COLUMNS, max_rows * 3 + 1)
    _write_guide(wb.create_sheet(GUIDE_SHEET), village_name, max_rows)
    wb.properties.title = f"农户信用档案批量导入 {village_name}"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- reading a filled-in workbook ---------------------------------------------------------


def _normalise_header(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("（", "(").replace("）", ")").replace("*", "").replace("＊", "")
    return re.sub(r"\s+", "", text)


def _file_problem(content: bytes, limits: XlsxLimits) -> str | None:
    """Why the bytes cannot be an xlsx we can read, before openpyxl touches them."""
    if content.startswith(OLE2_SIGNATURE):
        if ENCRYPTED_MARKER in content:
            return str(_l("文件设置了打开密码，请在 Excel 中取消密码后再上传"))
        return str(_l("这是旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 格式后再上传"))
    if not zipfile.is_zipfile(BytesIO(content)):
        return str(_l("文件已损坏或不是 Excel（.xlsx）文件，请用本页提供的模板填写后上传"))
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                return str(_l("文件已损坏或不是 Excel（.xlsx）文件，请用本页提供的模板填写后上传"))
    except (zipfile.BadZipFile, OSError, ValueError):
        return str(_l("文件已损坏或不是 Excel（.xlsx）文件，请用本页提供的模板填写后上传"))
    return xlsx_archive_problem(content, limits)  # a zip bomb: refused before it is opened


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


class _TooManyRows(Exception):
    pass


def _read_rows(ws, max_rows: int) -> tuple[list[Any], list[tuple[int, tuple]]]:
    """Header cells and the non-empty data rows with their Excel row numbers."""
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows, ()) or ())
    data = []
    for number, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        data.append((number, values))
        if len(data) > max_rows:
            raise _TooManyRows
    return header, data


def _header_problem(sheet: str, header: list[Any], columns: Sequence[SheetColumn]) -> str | None:
    seen = [_normalise_header(h) for h in header]
    expected = [_normalise_header(c.header) for c in columns]
    missing = [c.header for c, key in zip(columns, expected, strict=True) if key not in seen]
    unknown = [str(h) for h, key in zip(header, seen, strict=True) if key and key not in expected]
    unknown = [h for h in unknown if _normalise_header(h) != ERROR_COLUMN]
    duplicated = sorted({h for h in seen if h and seen.count(h) > 1})
    problems = []
    if missing:
        problems.append(str(_l("缺少列：%(cols)s", cols="、".join(missing))))
    if unknown:
        problems.append(str(_l("无法识别的列：%(cols)s", cols="、".join(unknown))))
    if duplicated:
        problems.append(str(_l("列名重复：%(cols)s", cols="、".join(duplicated))))
    if not problems:
        return None
    return str(
        _l(
            "“%(sheet)s”表的列与模板不一致（%(problems)s）。请下载最新模板，不要增删或改名列。",
            sheet=sheet,
            problems="；".join(problems),
        )
    )


def _frame(header: list[Any], data: list[tuple[int, tuple]], columns: Sequence[SheetColumn]):
    """Raw cell values by column key, plus the Excel row number."""
    positions = {_normalise_header(h): i for i, h in enumerate(header) if h is not None}
    raw: dict[str, list[Any]] = {"row": [number for number, _ in data]}
    for column in columns:
        i = positions[_normalise_header(column.header)]
        raw[column.key] = [values[i] if i < len(values) else None for _, values in data]
    return pd.DataFrame(raw, dtype=object).astype({"row": "int64"})


def _number_text(value: Any) -> Any:
    """Digits typed into a number cell come back as int/float; read them as text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _cells(values: pd.Series, convert) -> pd.Series:
    """`convert` applied to each filled cell, keeping None for empty ones. Always object
    dtype: pandas would otherwise infer a string dtype and turn None into NaN."""
    return pd.Series(
        [None if v is None or v is pd.NA or v != v else convert(v) for v in values],
        index=values.index,
        dtype=object,
    )


class _Checker:
    """Collects errors for one sheet; each check handles a whole column at once."""

    def __init__(self, sheet: str, frame: pd.DataFrame) -> None:
        self.sheet, self.frame = sheet, frame
        self.errors: list[SheetError] = []

    def flag(self, column: SheetColumn, mask: pd.Series, message: Any | pd.Series) -> None:
        rows = self.frame.loc[mask, "row"]
        if isinstance(message, pd.Series):
            texts = message.loc[rows.index]
            self.errors += [
                _error(self.sheet, int(r), column.header, t)
                for r, t in zip(rows, texts, strict=True)
            ]
        else:
            text = str(message)
            self.errors += [_error(self.sheet, int(r), column.header, text) for r in rows]
        self.frame.loc[mask, column.key] = None

    def check(self, column: SheetColumn) -> None:
        values = self.frame[column.key]
        blank = values.map(_blank).astype(bool)
        if column.required:
            self.flag(column, blank, _l("此项为必填项"))
        present = ~blank
        self.frame.loc[blank, column.key] = None
        getattr(self, f"_check_{column.kind}")(column, present)

    def _check_text(self, column: SheetColumn, present: pd.Series) -> None:
        text = self.frame[column.key] = _cells(
            self.frame[column.key], lambda v: str(_number_text(v)).strip()
        )
        if column.max_length:
            too_long = present & _cells(text, lambda v: len(v) > column.max_length).eq(True)
            self.flag(column, too_long, _l("不能超过%(n)s个字", n=column.max_length))

    def _check_name(self, column: SheetColumn, present: pd.Series) -> None:
        self._check_text(column, present)
        message = _cells(self.frame.loc[present, column.key], name_error)
        self.flag(column, present & message.reindex(present.index).notna(), message)

    def _check_choice(self, column: SheetColumn, present: pd.Series) -> None:
        text = self.frame[column.key] = _cells(
            self.frame[column.key], lambda v: str(_number_text(v)).strip()
        )
        wrong = present & ~text.isin(column.choices)
        # A long list (12 村民小组) would drown the message; the drop-down shows it anyway.
        listed = "（" + "、".join(column.choices) + "）" if len(column.choices) <= 8 else ""
        message = text[wrong].map(
            lambda v: str(_l("“%(value)s”不是可选值，请从下拉列表选择", value=v)) + listed
        )
        self.flag(column, wrong, message)

    def _check_id(self, column: SheetColumn, present: pd.Series) -> None:
        values = self.frame[column.key]
        # Excel keeps 15 significant digits: an ID typed into a number cell has lost its tail.
        as_float = present & values.map(lambda v: isinstance(v, float))
        self.flag(
            column,
            as_float,
            _l("身份证号被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新输入"),
        )
        present = present & ~as_float
        text = self.frame[column.key] = _cells(
            self.frame[column.key], lambda v: re.sub(r"\s+", "", str(v)).upper()
        )
        message = _cells(text[present], id_number_error)
        self.flag(column, present & message.reindex(text.index).notna(), message)

    def _check_phone(self, column: SheetColumn, present: pd.Series) -> None:
        text = self.frame[column.key] = _cells(
            self.frame[column.key], lambda v: re.sub(r"\s+", "", str(_number_text(v)))
        )
        message = _cells(text[present], phone_error)
        self.flag(column, present & message.reindex(text.index).notna(), message)

    def _check_decimal(self, column: SheetColumn, present: pd.Series) -> None:
        cleaned = self.frame[column.key].map(
            lambda v: (
                v
                if v is None or isinstance(v, int | float) and not isinstance(v, bool)
                else re.sub(r"[\s,，]", "", str(v))
            )
        )
        numbers = pd.to_numeric(cleaned, errors="coerce")
        not_number = present & numbers.isna()
        self.flag(column, not_number, _l("应填写数字"))
        negative = present & ~not_number & (numbers < 0)
        self.flag(column, negative, _l("不能小于0"))
        too_big = present & ~not_number & (numbers > column.maximum)
        self.flag(
            column,
            too_big,
            _l(
                "超出合理范围（上限 %(max)s%(unit)s），请核对",
                max=f"{column.maximum:,}",
                unit=column.unit,
            ),
        )
        ok = present & ~not_number & ~negative & ~too_big
        self.frame[column.key] = [
            _to_decimal(v) if good else None for v, good in zip(cleaned, ok, strict=True)
        ]

    def duplicates(self, column: SheetColumn, message_template: Any) -> None:
        """Every row of a value that occurs more than once is wrong: which one is meant?"""
        values = self.frame[column.key]
        dup = values.notna() & values.duplicated(keep=False)
        if not dup.any():
            return
        rows_by_value = self.frame.loc[dup].groupby(column.key)["row"].apply(list)
        message = values.map(
            lambda v: (
                None
                if v not in rows_by_value.index
                else str(message_template).format(rows="、".join(map(str, rows_by_value[v])))
            )
        )
        self.errors += [
            _error(self.sheet, int(r), column.header, m)
            for r, m in zip(self.frame.loc[dup, "row"], message[dup], strict=True)
        ]


def _to_decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    return number.quantize(CENTS, rounding=ROUND_HALF_UP)


def _check_sheet(sheet: str, frame: pd.DataFrame, columns: Sequence[SheetColumn]) -> _Checker:
    checker = _Checker(sheet, frame)
    for column in columns:
        checker.check(column)
    return checker


def parse_workbook(content: bytes, max_rows: int, limits: XlsxLimits | None = None) -> ParsedSheet:
    """Read and validate a filled-in template. Never raises for a bad file: every problem is
    returned as an error in Chinese. `limits` (the app's config) bound what the zip may
    unpack to; the defaults are config.py's."""
    if problem := _file_problem(content, limits or XlsxLimits()):
        return _fatal(problem)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it does not read (extensions, styles).
            warnings.simplefilter("ignore")
            wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same to her
        return _fatal(_l("文件已损坏或不是 Excel（.xlsx）文件，请用本页提供的模板填写后上传"))
    try:
        return _parse_sheets(wb, max_rows)
    except _TooManyRows as exc:
        return _fatal(
            _l(
                "“%(sheet)s”表超过 %(n)s 行上限，请分成几个文件上传",
                sheet=str(exc.args[0]) if exc.args else HOUSEHOLD_SHEET,
                n=f"{max_rows:,}",
            )
        )
    except Exception:  # a malformed sheet part inside a valid zip
        log.warning("unreadable workbook", exc_info=True)
        return _fatal(_l("文件已损坏或不是 Excel（.xlsx）文件，请用本页提供的模板填写后上传"))
    finally:
        wb.close()


def _read_sheet(wb, sheet: str, max_rows: int):
    try:
        return _read_rows(wb[sheet], max_rows)
    except _TooManyRows:
        raise _TooManyRows(sheet) from None


def _parse_sheets(wb, max_rows: int) -> ParsedSheet:
    if HOUSEHOLD_SHEET not in wb.sheetnames:
        return _fatal(
            _l(
                "找不到“%(sheet)s”工作表。请使用本页下载的模板，不要改动工作表名称。",
                sheet=HOUSEHOLD_SHEET,
            )
        )
    header, data = _read_sheet(wb, HOUSEHOLD_SHEET, max_rows)
    if problem := _header_problem(HOUSEHOLD_SHEET, header, HOUSEHOLD_COLUMNS):
        return _fatal(problem, HOUSEHOLD_SHEET)
    if not data:
        return _fatal(_l("“%(sheet)s”表中没有填写任何农户", sheet=HOUSEHOLD_SHEET), HOUSEHOLD_SHEET)
    households = _frame(header, data, HOUSEHOLD_COLUMNS)

    members_present = MEMBER_SHEET in wb.sheetnames
    if members_present:
        m_header, m_data = _read_sheet(wb, MEMBER_SHEET, max_rows)
        has_content = m_data or any(not _blank(h) for h in m_header)
        if has_content and (problem := _header_problem(MEMBER_SHEET, m_header, MEMBER_COLUMNS)):
            return _fatal(problem, MEMBER_SHEET)
        members = (
            _frame(m_header, m_data, MEMBER_COLUMNS) if m_data else _empty_frame(MEMBER_COLUMNS)
        )
    else:
        members = _empty_frame(MEMBER_COLUMNS)
    return validate_frames(households, members, members_present)


def validate_frames(
    households: pd.DataFrame, members: pd.DataFrame, members_sheet_present: bool = True
) -> ParsedSheet:
    """Cell rules, then rules across rows and across the two sheets."""
    h = _check_sheet(HOUSEHOLD_SHEET, households, HOUSEHOLD_COLUMNS)
    head_id = HOUSEHOLD_COLUMNS[2]
    h.duplicates(head_id, _l("身份证号在本表中重复（第 {rows} 行），每户只能填一行"))

    m = _check_sheet(MEMBER_SHEET, members, MEMBER_COLUMNS)
    m_head, m_id = MEMBER_COLUMNS[0], MEMBER_COLUMNS[2]
    m.duplicates(m_id, _l("成员身份证号在本表中重复（第 {rows} 行）"))
    known_heads = set(households["head_id_number"].dropna())
    orphan = members["head_id_number"].notna() & ~members["head_id_number"].isin(known_heads)
    m.flag(m_head, orphan, _l("“农户”表中没有这个户主身份证号"))
    # Reported without clearing the cell, so the row stays tied to its household, which is
    # then rejected whole (see ParsedSheet.valid_households).
    same_as_head = members["id_number"].notna() & (
        members["id_number"] == members["head_id_number"]
    )
    if same_as_head.any():
        m.errors += [
            _error(MEMBER_SHEET, int(r), m_id.header, _l("成员身份证号不能与户主相同"))
            for r in members.loc[same_as_head, "row"]
        ]
    order = {c.header: i for i, c in enumerate(HOUSEHOLD_COLUMNS + MEMBER_COLUMNS)}
    errors = sorted(
        h.errors + m.errors,
        key=lambda e: (e["sheet"] != HOUSEHOLD_SHEET, e["row"] or 0, order.get(e["column"], 99)),
    )
    return ParsedSheet(
        _finalise(households), _finalise(members), errors, False, members_sheet_present
    )


def _finalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for empty cells, ready to become database rows."""
    values = frame.drop(columns="row").astype(object)
    values = values.where(values.notna(), None)
    values.insert(0, "row", frame["row"].astype("int64"))
    return values


# ---- the marked copy ------------------------------------------------------------------------

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")


def mark_errors(content: bytes, errors: Iterable[SheetError]) -> bytes:
    """The uploaded workbook with each bad cell filled red and commented, an 错误说明 column on
    each data sheet and an 错误说明 sheet listing everything. Fixed and re-uploaded as is, it
    parses normally (the extra column and sheet are ignored)."""
    errors = list(errors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(BytesIO(content))
    by_sheet_row: dict[tuple[str, int], list[str]] = {}
    for sheet in SHEETS:
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        headers = {_normalise_header(c.value): c.column for c in ws[1] if c.value is not None}
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
            col = headers.get(_normalise_header(error["column"]))
            if col:
                cell = ws.cell(row=error["row"], column=col)
                cell.fill = ERROR_FILL
                cell.comment = Comment(error["message"], "系统校验", width=240, height=80)
        for (s, row), messages in by_sheet_row.items():
            if s == sheet:
                cell = write_cell(ws, row, error_col, "；".join(messages))
                cell.font = ERROR_FONT
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
