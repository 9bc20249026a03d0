"""Turn a chunk of a department's text cells into typed platform fields, with one Chinese error
per bad cell. Column-wise pandas operations only: a million rows must pass in seconds.

`clean_chunk` returns the good rows (typed, with `year`/`month` split out of a period and the
source's constants added) and the problems (row, field, column, value, message). A row with
any problem is not in the good rows.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask_babel import lazy_gettext as _l

from models import mask_id
from village_forms.identifiers import PROVINCE_CODES, id_birth_date, id_number_error, uscc_error

from .sources import Kind, SourceSpec

ERROR_COLUMNS = ["row_number", "field", "column", "value", "message"]
SUBJECT_ID = "id"
SUBJECT_USCC = "uscc"
ID_SHAPE = r"\d{17}[\dX]"

_PERIOD = (
    r"^(?P<y>\d{4})\s*(?:年度?|[-/.])?\s*(?:(?P<m>\d{1,2})\s*月?)?"
    r"(?:\s*[-/.]\s*\d{1,2}\s*日?)?(?:\s+.*)?$"
)
_DATE = r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?(?:[ T].*)?$"


@dataclass
class Cleaned:
    rows: pd.DataFrame
    errors: pd.DataFrame


def clean_chunk(spec: SourceSpec, columns: dict[str, str], raw: pd.DataFrame) -> Cleaned:
    """`raw`: text cells indexed by file row number; `columns`: {field name: file header}."""
    problems: list[pd.DataFrame] = []
    out = pd.DataFrame(index=raw.index)

    def fail(field: str, mask: pd.Series, message, values=None) -> None:
        """Record `message` for the rows in `mask`; `values` may disguise the cells shown."""
        if not mask.any():
            return
        header = columns.get(field, "")
        shown = cells(field)[mask]
        if values is not None:
            shown = values(shown)
        problems.append(
            pd.DataFrame(
                {
                    "row_number": mask.index[mask],
                    "field": spec.field(field).label,
                    "column": header,
                    "value": shown.astype(str).str.slice(0, 200).to_numpy(),
                    "message": (
                        message.to_numpy() if isinstance(message, pd.Series) else str(message)
                    ),
                }
            )
        )

    def cells(field: str) -> pd.Series:
        header = columns.get(field)
        if header and header in raw.columns:
            return by_distinct(raw[header].astype(str), lambda u: u.str.strip())
        return pd.Series("", index=raw.index, dtype=str)

    for f in spec.fields:
        text = cells(f.name)
        empty = text == ""
        if f.required:
            fail(f.name, empty, _l("必填项为空"))
        if f.kind == Kind.SUBJECT:
            codes, kinds, messages = _subjects(text)
            bad = ~empty & messages.notna()
            fail(f.name, bad, messages[bad], values=_masked)
            out["subject_code"] = codes
            out["subject_kind"] = kinds
        elif f.kind == Kind.TEXT:
            too_long = text.str.len() > (f.max_length or 10_000)
            fail(f.name, too_long, _l("内容过长（最多%(n)d个字）", n=f.max_length or 0))
            out[f.name] = text
        elif f.kind in (Kind.INT, Kind.MONEY, Kind.DECIMAL):
            numbers = by_distinct(text, _numbers)
            not_number = ~empty & numbers.isna()
            fail(f.name, not_number, _l("不是有效的数字"))
            if f.kind == Kind.INT:
                fractional = numbers.notna() & (numbers != np.floor(numbers))
                fail(f.name, fractional, _l("应为整数"))
            if f.minimum is not None:
                fail(f.name, numbers < f.minimum, _l("不能小于 %(n)s", n=_plain(f.minimum)))
            if f.maximum is not None:
                fail(f.name, numbers > f.maximum, _l("不能大于 %(n)s", n=_plain(f.maximum)))
            out[f.name] = numbers.round(2) if f.kind != Kind.INT else numbers
        elif f.kind == Kind.DATE:
            dates = by_distinct(text, _dates)
            fail(f.name, ~empty & dates.isna(), _l("日期无法识别（例如 2025-03-15）"))
            out[f.name] = dates
        elif f.kind in (Kind.PERIOD, Kind.MONTH):
            year = by_distinct(text, lambda u: _period(u)[0])
            month = by_distinct(text, lambda u: _period(u)[1])
            fail(f.name, ~empty & year.isna(), _l("所属期无法识别（例如 2025 或 2025-03）"))
            if f.kind == Kind.MONTH:
                fail(f.name, year.notna() & (month == 0), _l("应精确到月份（例如 2025-03）"))
            out["year"], out["month"] = year, month
        elif f.kind == Kind.CHOICE:
            codes = by_distinct(text, lambda u, choices=f.choices: _choices(u, choices))
            allowed = "、".join(dict.fromkeys(label for label in f.choices if len(label) <= 6))
            fail(f.name, ~empty & codes.isna(), _l("应为以下之一：%(v)s", v=allowed))
            out[f.name] = codes

    _cross_field_checks(spec, out, fail)
    for name, value in spec.constants.items():
        out[name] = value

    errors = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(
            {c: pd.Series(dtype=str if c != "row_number" else "int64") for c in ERROR_COLUMNS}
        )
    )
    good = ~out.index.isin(errors["row_number"])
    return Cleaned(_finish(spec, out[good]), errors)


def _finish(spec: SourceSpec, rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["row_number"] = rows.index.astype("int64")
    if "document_no" in rows.columns:
        # Without a 文书号 the record is known by its date and title.
        missing = rows["document_no"] == ""
        rows.loc[missing, "document_no"] = (
            rows.loc[missing, "decided_on"].dt.strftime("%Y-%m-%d")
            + "|"
            + rows.loc[missing, "title"].str.slice(0, 100)
        )
    if "days_late" in rows.columns:
        rows["days_late"] = _days_late(rows)
    for name in ("year", "month"):
        if name in rows.columns:
            rows[name] = rows[name].astype("int64")
    return rows


def _cross_field_checks(spec: SourceSpec, out: pd.DataFrame, fail) -> None:
    if {"start_on", "due_on"} <= set(out.columns):
        fail("due_on", out["due_on"] < out["start_on"], _l("到期日期早于发放日期"))
    if {"decided_on", "ended_on"} <= set(out.columns):
        fail("ended_on", out["ended_on"] < out["decided_on"], _l("结束日期早于决定日期"))
    if {"amount", "balance"} <= set(out.columns):
        fail("balance", out["balance"] > out["amount"], _l("贷款余额大于贷款金额"))


def _days_late(rows: pd.DataFrame) -> pd.Series:
    """Departments that send a paid date but no days late: a bill is due by the end of the
    month after the one billed (the usual 国网/水务 practice)."""
    given = rows["days_late"]
    due = pd.to_datetime(
        {"year": rows["year"], "month": rows["month"], "day": 1}, errors="coerce"
    ) + pd.offsets.MonthEnd(2)
    computed = (rows["paid_on"] - due).dt.days.clip(lower=0)
    return given.where(given.notna(), computed)


def _subjects(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(normalised code, "id"/"uscc", error message or NA), checking each distinct code once."""
    codes = text.str.upper().str.replace(r"\s", "", regex=True)
    distinct = pd.unique(codes[codes != ""])
    kind_of: dict[str, str] = {}
    error_of: dict[str, str] = {}
    for code in distinct:
        id_error = id_number_error(code)
        if id_error is None:
            kind_of[code] = SUBJECT_ID
        elif re.fullmatch(ID_SHAPE, code) and _plausible_id(code):
            # Shaped like an ID number down to a real province and birth date: a typo in
            # it must not pass as a USCC that happens to check (1 in 31 would).
            error_of[code] = id_error
        elif uscc_error(code) is None:
            kind_of[code] = SUBJECT_USCC
        elif re.fullmatch(ID_SHAPE, code):
            error_of[code] = id_error
        elif len(code) < 18 and code.isdigit() and len(code) >= 15:
            error_of[code] = str(
                _l("号码只有%(n)d位：可能被 Excel 存成了数字而丢失了末几位", n=len(code))
            )
        else:
            error_of[code] = str(_l("既不是有效的身份证号，也不是有效的统一社会信用代码"))
    kinds = codes.map(kind_of)
    messages = codes.map(error_of)
    return codes, kinds, messages


def _plausible_id(code: str) -> bool:
    born = id_birth_date(code)
    return code[:2] in PROVINCE_CODES and born is not None and 1900 <= born.year <= 2100


def _masked(text: pd.Series) -> pd.Series:
    # Error reports are downloaded and passed around: never carry a whole ID number.
    looks_like_id = text.str.fullmatch(r"\d{15,17}[\dXx]?")
    return text.where(~looks_like_id, text.map(mask_id))


def by_distinct(text: pd.Series, parse) -> pd.Series:
    """`parse` applied to each distinct value once. Department files repeat themselves (24
    months, a few hundred paid dates, five loan statuses in a million rows), and pandas'
    string methods run Python per element: this is what keeps a million rows in seconds."""
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    parsed = parse(pd.Series(uniques, dtype=str))
    return pd.Series(parsed.to_numpy()[codes], index=text.index, dtype=parsed.dtype)


def _numbers(text: pd.Series) -> pd.Series:
    cleaned = text.str.replace(r"[,，\s元¥￥]", "", regex=True)
    return pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").astype("float64")


def _dates(text: pd.Series) -> pd.Series:
    compact = text.str.fullmatch(r"\d{8}")
    text = text.where(
        ~compact, text.str.slice(0, 4) + "-" + text.str.slice(4, 6) + "-" + text.str.slice(6, 8)
    )
    parts = text.str.extract(_DATE)
    return pd.to_datetime(
        {
            "year": pd.to_numeric(parts["y"]),
            "month": pd.to_numeric(parts["m"]),
            "day": pd.to_numeric(parts["d"]),
        },
        errors="coerce",
    ).where(lambda d: (d.dt.year >= 1949) & (d.dt.year <= 2100))


def _period(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """("2025" | "2025年" | "2025年度") -> (2025, 0); ("2025-03" | "202503" | "2025年3月" |
    "2025-03-01") -> (2025, 3)."""
    compact = text.str.fullmatch(r"\d{6}")
    text = text.where(~compact, text.str.slice(0, 4) + "-" + text.str.slice(4, 6))
    parts = text.str.extract(_PERIOD)
    year = pd.to_numeric(parts["y"])
    month = pd.to_numeric(parts["m"]).fillna(0)
    valid = year.between(1990, 2100) & month.between(0, 12)
    return year.where(valid), month.where(valid, 0)


def _choices(text: pd.Series, choices: dict[str, str]) -> pd.Series:
    lookup = {k.upper(): v for k, v in choices.items()} | {v.upper(): v for v in choices.values()}
    return text.str.upper().str.replace(r"\s", "", regex=True).map(lookup)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:g}"
