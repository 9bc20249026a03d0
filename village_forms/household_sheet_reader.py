"""Reading a filled-in household sheet: file checks (zip bomb, encrypted or old .xls), the
header row, then every cell checked against its column, giving a `ParsedSheet` of valid rows
and Chinese errors (sheet, row, column, message)."""

import logging
import re
import warnings
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from models import clock

from .household_sheet import (
    ERROR_COLUMN,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    MEMBER_COLUMNS,
    MEMBER_SHEET,
    ParsedSheet,
    SheetColumn,
    SheetError,
    normalise_header,
)
from .identifiers import id_number_error, name_error, phone_error, uscc_error
from .xlsx_archive import XlsxLimits, xlsx_archive_problem

log = logging.getLogger(__name__)

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted .xlsx
ENCRYPTED_MARKER = "EncryptionInfo".encode("utf-16-le")
CENTS = Decimal("0.01")


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
    seen = [normalise_header(h) for h in header]
    expected = [normalise_header(c.header) for c in columns]
    missing = [c.header for c, key in zip(columns, expected, strict=True) if key not in seen]
    unknown = [str(h) for h, key in zip(header, seen, strict=True) if key and key not in expected]
    unknown = [h for h in unknown if normalise_header(h) != ERROR_COLUMN]
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
    positions = {normalise_header(h): i for i, h in enumerate(header) if h is not None}
    raw: dict[str, list[Any]] = {"row": [number for number, _ in data]}
    for column in columns:
        i = positions[normalise_header(column.header)]
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
        if column.positive:
            negative = present & ~not_number & (numbers <= 0)
            self.flag(column, negative, _l("应大于0"))
        else:
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

    def _whole_numbers(self, column: SheetColumn, present: pd.Series) -> pd.Series:
        """The column as whole numbers; a cell that is not one is flagged and left None."""
        cleaned = self.frame[column.key].map(
            lambda v: v if v is None or isinstance(v, int | float) else str(v).strip()
        )
        numbers = pd.to_numeric(cleaned, errors="coerce")
        not_whole = present & (numbers.isna() | (numbers.fillna(0) % 1 != 0))
        self.flag(column, not_whole, _l("应填写整数"))
        return numbers.where(present & ~not_whole)

    def _check_integer(self, column: SheetColumn, present: pd.Series) -> None:
        numbers = self._whole_numbers(column, present)
        out = numbers.notna() & ((numbers < column.minimum) | (numbers > column.maximum))
        self.flag(
            column,
            out,
            _l(
                "应在%(min)s至%(max)s之间%(unit)s",
                min=column.minimum,
                max=f"{column.maximum:,}",
                unit=column.unit,
            ),
        )
        self.frame[column.key] = _cells(numbers.where(~out), int)

    def _check_year(self, column: SheetColumn, present: pd.Series) -> None:
        numbers = self._whole_numbers(column, present)
        latest = clock.today().year + column.future_years
        out = numbers.notna() & ((numbers < column.minimum) | (numbers > latest))
        self.flag(column, out, _l("年份应在%(min)s至%(max)s之间", min=column.minimum, max=latest))
        self.frame[column.key] = _cells(numbers.where(~out), int)

    def _check_uscc(self, column: SheetColumn, present: pd.Series) -> None:
        text = self.frame[column.key] = _cells(
            self.frame[column.key], lambda v: re.sub(r"\s+", "", str(v)).upper()
        )
        message = _cells(text[present], uscc_error)
        self.flag(column, present & message.reindex(text.index).notna(), message)

    def _check_date(self, column: SheetColumn, present: pd.Series) -> None:
        values = self.frame[column.key].map(_as_date)
        wrong = present & values.isna()
        self.flag(column, wrong, _l("日期格式不正确，请填写如 2020-05-01"))
        today = clock.today()
        future = present & ~wrong & values.map(lambda d: d is not None and d > today)
        self.flag(column, future, _l("日期不能晚于今天"))
        early = present & ~wrong & values.map(lambda d: d is not None and d.year < column.minimum)
        self.flag(column, early, _l("日期有误，请核对"))
        self.frame[column.key] = values.where(present & ~wrong & ~future & ~early, None)

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


def _as_date(value: Any) -> date | None:
    """A date cell, or text as a cadre types one: 2020-05-01, 2020/5/1, 2020.5.1, 20200501."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s+0?0:00(?::00)?)?", text)
    match = match or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


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
