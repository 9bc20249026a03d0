"""The demo's XLSX writer: one sheet from a DataFrame, built column by column as XML text.

openpyxl builds an element tree per cell; for the demo's ~90,000 spreadsheet rows that was a
fifth of `seed-demo`'s time. The departments' XLSX files only need what a department's export
holds — text cells (ID numbers and account numbers stay text), numbers, date cells, empty
cells — so the sheet XML is assembled with vectorised string operations and zipped with the
four small parts every XLSX needs. Cells carry their reference (`r="C7"`) and the sheet its
`<dimension>`, as Excel writes them, so every reader (Excel, WPS, openpyxl, calamine) places
them without guessing. Text is written inline (`t="inlineStr"`), never as a formula.
"""

import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
# Style 1: a date cell (yyyy-mm-dd), style 2: date and time, as openpyxl wrote them before.
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_EPOCH = date(1899, 12, 30)  # Excel's day 0 (after its 1900 leap-year quirk)
# Characters XML 1.0 cannot carry at all; openpyxl refused them too.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ROWS_PER_WRITE = 20_000


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: pd.Series) -> pd.Series:
    if text.str.contains(_ILLEGAL).any():
        raise ValueError("text with control characters cannot be written to XLSX")
    return text.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")


def _text_cells(text: pd.Series, refs: pd.Series) -> pd.Series:
    return (
        '<c r="'
        + refs
        + '" t="inlineStr"><is><t xml:space="preserve">'
        + _escape(text)
        + "</t></is></c>"
    )


def _value_cells(values: pd.Series, refs: pd.Series, style: str = "") -> pd.Series:
    return '<c r="' + refs + '"' + style + "><v>" + values + "</v></c>"


def _serial(value: date) -> str:
    """A date or datetime as Excel's day number (with the time as a fraction)."""
    if isinstance(value, datetime):
        delta = value - datetime.combine(_EPOCH, datetime.min.time())
        return str(delta / timedelta(days=1))
    return str((value - _EPOCH).days)


def _cells(column: pd.Series, refs: pd.Series) -> pd.Series:
    """Each value's <c> element; "" where the value is missing (the cell is left out)."""
    out = pd.Series("", index=column.index, dtype=object)
    present = column.notna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.astype(object)  # Timestamps: datetimes, one by one below
    elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column[present]
        if not np.isfinite(values.astype(float)).all():
            raise ValueError(f"{column.name}: infinite numbers cannot be written to XLSX")
        # Python's shortest round-trip text of each number (str of a numpy scalar agrees).
        text = pd.Series([str(x) for x in values.tolist()], index=values.index, dtype=object)
        out[present] = _value_cells(text, refs[present])
        return out
    kinds = column.map(type)
    for kind in kinds[present].unique():
        mask = (kinds == kind).to_numpy() & present
        part, where = column[mask], refs[mask]
        if issubclass(kind, str):
            out[mask] = _text_cells(part.astype(str), where)
        elif issubclass(kind, datetime):  # before date: a datetime is a date
            out[mask] = _value_cells(part.map(_serial), where, ' s="2"')
        elif issubclass(kind, date):
            out[mask] = _value_cells(part.map(_serial), where, ' s="1"')
        elif issubclass(kind, bool | np.bool_):
            out[mask] = '<c r="' + where + '" t="b"><v>' + part.map(int).astype(str) + "</v></c>"
        elif issubclass(kind, int | float | np.number):
            out[mask] = _value_cells(part.map(str), where)
        else:
            out[mask] = _text_cells(part.map(str), where)
    return out


def write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str = "Sheet1") -> None:
    """One sheet: the headers in row 1, then the rows. Text (ID numbers, account numbers)
    stays text, numbers are numbers, dates are date cells; blanks are left empty."""
    frame = frame.reset_index(drop=True)
    letters = [column_letter(i) for i in range(len(frame.columns))]
    row_numbers = pd.Series(np.arange(2, len(frame) + 2), dtype=np.int64).astype(str)
    header = pd.Series([str(name) for name in frame.columns], dtype=object)
    header_xml = "".join(_text_cells(header, pd.Series([f"{x}1" for x in letters])))
    rows = '<row r="' + row_numbers.astype(object) + '">'
    for letter, name in zip(letters, frame.columns, strict=True):
        rows = rows + _cells(frame[name], letter + row_numbers.astype(object))
    rows = rows + "</row>"
    last = f"{letters[-1]}{len(frame) + 1}" if letters else "A1"
    workbook = (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name={quoteattr(sheet_name[:31])} sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                (
                    _HEAD + f'<worksheet xmlns="{_MAIN}"><dimension ref="A1:{last}"/>'
                    f'<sheetData><row r="1">{header_xml}</row>'
                ).encode()
            )
            values = rows.tolist()
            for start in range(0, len(values), _ROWS_PER_WRITE):
                sheet.write("".join(values[start : start + _ROWS_PER_WRITE]).encode())
            sheet.write(b"</sheetData></worksheet>")
