"""Reading a filled-in bulk sheet (村评议, assets, land, crops and livestock, insurance,
entities): the household sheet's file checks and per-column checks, then the rules across
columns and rows of each kind. XLSX is read here; a CSV arrives as a header and rows already
read (agri_credit reads CSV with the departmental reader's encoding detection) and goes
through `validate_bulk_rows`, so both formats meet the same checks."""

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from models import EntityType

from . import entity_fields as ef
from .bulk_sheets import ENTITY_TYPE_BY_LABEL, UNITS_BY_PRODUCTION_KIND, BulkSheet
from .household_sheet import SheetError
from .household_sheet_reader import (
    _blank,
    _check_sheet,
    _error,
    _file_problem,
    _finalise,
    _frame,
    _header_problem,
    _read_rows,
    _TooManyRows,
)
from .xlsx_archive import XlsxLimits

UNREADABLE = _l("文件已损坏或不是 Excel（.xlsx）/CSV 文件，请用本页提供的模板填写后上传")


@dataclass
class ParsedRows:
    """Normalised rows (a `row` column with the file's row number) and every problem found."""

    rows: pd.DataFrame
    errors: list[SheetError] = field(default_factory=list)
    fatal: bool = False

    @property
    def rows_read(self) -> int:
        return len(self.rows)

    def valid_rows(self) -> pd.DataFrame:
        bad = {e["row"] for e in self.errors}
        return self.rows[~self.rows["row"].isin(bad)]


def fatal(message: Any) -> ParsedRows:
    return ParsedRows(
        pd.DataFrame({"row": pd.Series(dtype="int64")}), [_error("", None, "", message)], True
    )


def too_many_rows(spec: BulkSheet, max_rows: int) -> ParsedRows:
    return fatal(
        _l(
            "“%(sheet)s”表超过 %(n)s 行上限，请分成几个文件上传",
            sheet=spec.sheet,
            n=f"{max_rows:,}",
        )
    )


def parse_bulk_xlsx(
    content: bytes, spec: BulkSheet, max_rows: int, limits: XlsxLimits | None = None
) -> ParsedRows:
    """Read and validate a filled-in bulk template; never raises for a bad file."""
    if problem := _file_problem(content, limits or XlsxLimits()):
        return fatal(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same to her
        return fatal(UNREADABLE)
    try:
        if spec.sheet not in wb.sheetnames:
            return fatal(
                _l(
                    "找不到“%(sheet)s”工作表。请使用本页下载的模板，不要改动工作表名称。",
                    sheet=spec.sheet,
                )
            )
        try:
            header, data = _read_rows(wb[spec.sheet], max_rows)
        except _TooManyRows:
            return too_many_rows(spec, max_rows)
        return validate_bulk_rows(header, data, spec)
    except Exception:  # a malformed sheet part inside a valid zip
        return fatal(UNREADABLE)
    finally:
        wb.close()


def validate_bulk_rows(
    header: Sequence[Any], data: Sequence[tuple[int, Sequence[Any]]], spec: BulkSheet
) -> ParsedRows:
    """Cell rules per column, then the kind's rules across columns and rows."""
    header = list(header)
    if problem := _header_problem(spec.sheet, header, spec.columns):
        return fatal(problem)
    data = [(n, tuple(v)) for n, v in data if not all(_blank(x) for x in v)]
    if not data:
        return fatal(_l("“%(sheet)s”表中没有填写任何数据", sheet=spec.sheet))
    frame = _frame(header, data, spec.columns)
    checker = _check_sheet(spec.sheet, frame, spec.columns)
    errors = checker.errors
    if spec.kind == "production":
        errors += _unit_matches_kind(spec, frame)
    if spec.kind == "entities":
        flagged = {(e["row"], e["column"]) for e in errors}
        errors += _entity_rules(spec, frame, flagged)
        errors += _duplicates(spec, frame, ("uscc",))
        unregistered = frame[frame["uscc"].isna()]
        errors += _duplicates(spec, unregistered, ("operator_id_number",))
    else:
        errors += _duplicates(spec, frame, ("head_id_number", *spec.key))
    order = {c.header: i for i, c in enumerate(spec.columns)}
    errors.sort(key=lambda e: (e["row"] or 0, order.get(e["column"], 99)))
    rows = _finalise(frame)
    if spec.kind == "entities":
        rows["entity_type"] = rows["entity_type"].map(ENTITY_TYPE_BY_LABEL.get)
        rows["keeps_books"] = rows["keeps_books"].map(lambda v: None if v is None else v == "是")
    return ParsedRows(rows, errors)


def _duplicates(spec: BulkSheet, frame: pd.DataFrame, key: tuple[str, ...]) -> list[SheetError]:
    """Every row of a key that occurs more than once is wrong: which one is meant?"""
    filled = frame.dropna(subset=[key[0]])
    keyed = filled[list(key)].astype(str)
    dup = keyed.duplicated(keep=False)
    if not dup.any():
        return []
    groups = filled[dup].groupby([keyed[k][dup] for k in key])["row"].apply(list)
    headers = "+".join(spec.column(k).header for k in key)
    errors = []
    for rows in groups:
        text = str(
            _l(
                "“%(key)s”在本表中重复（第 %(rows)s 行），同一条只能填一行",
                key=headers,
                rows="、".join(map(str, rows)),
            )
        )
        errors += [_error(spec.sheet, int(r), spec.column(key[0]).header, text) for r in rows]
    return errors


def _unit_matches_kind(spec: BulkSheet, frame: pd.DataFrame) -> list[SheetError]:
    allowed = frame["kind"].map(lambda k: UNITS_BY_PRODUCTION_KIND.get(k, ()))
    wrong = (
        frame["unit"].notna()
        & frame["kind"].notna()
        & pd.Series(
            [u not in a for u, a in zip(frame["unit"], allowed, strict=True)], index=frame.index
        )
    )
    return [
        _error(
            spec.sheet,
            int(r),
            spec.column("unit").header,
            _l("%(kind)s的单位应为%(units)s", kind=k, units="、".join(UNITS_BY_PRODUCTION_KIND[k])),
        )
        for r, k in zip(frame.loc[wrong, "row"], frame.loc[wrong, "kind"], strict=True)
    ]


def _entity_rules(
    spec: BulkSheet, frame: pd.DataFrame, flagged: set[tuple[int, str]]
) -> list[SheetError]:
    """The entity form's type rules (EntityForm._check_type_rules), row by row; a cell
    already flagged by its own check (a wrong check digit) is not flagged again as blank."""
    kinds = frame["entity_type"].map(ENTITY_TYPE_BY_LABEL.get)
    uscc_header = spec.column("uscc").header
    members_header = spec.column("member_count").header
    errors: list[SheetError] = []
    for index, kind in kinds.dropna().items():
        row = int(frame.at[index, "row"])
        uscc, members = frame.at[index, "uscc"], frame.at[index, "member_count"]
        if (row, uscc_header) in flagged:
            uscc = "?"  # wrong as typed: its own message says why
        if uscc is None and kind not in ef.USCC_OPTIONAL_TYPES:
            label = frame.at[index, "entity_type"]
            errors.append(
                _error(
                    spec.sheet, row, uscc_header, _l("%(type)s须填写统一社会信用代码", type=label)
                )
            )
        elif uscc is None and frame.at[index, "operator_id_number"] is None:
            errors.append(
                _error(
                    spec.sheet,
                    row,
                    uscc_header,
                    _l("种养大户须填写统一社会信用代码或经营者身份证号（至少一项）"),
                )
            )
        if kind != EntityType.COOPERATIVE:
            continue
        if uscc not in (None, "?") and not uscc.startswith(ef.COOPERATIVE_USCC_PREFIX):
            errors.append(
                _error(
                    spec.sheet,
                    row,
                    uscc_header,
                    _l("农民专业合作社的统一社会信用代码应以93开头，请核对是否填错主体类型"),
                )
            )
        if (row, members_header) in flagged:
            continue
        if members is None:
            errors.append(_error(spec.sheet, row, members_header, _l("农民专业合作社须填写成员数")))
        elif members < ef.COOPERATIVE_MIN_MEMBERS:
            errors.append(
                _error(
                    spec.sheet,
                    row,
                    members_header,
                    _l(
                        "农民专业合作社成员应不少于%(n)d名（农民专业合作社法第十二条）",
                        n=ef.COOPERATIVE_MIN_MEMBERS,
                    ),
                )
            )
    return errors
