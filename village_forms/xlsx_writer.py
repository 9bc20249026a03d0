"""The one way the platform writes cells into the XLSX files it hands out (rating results,
departmental error reports, data coverage, household sheets and their marked copies).

Formula injection: a household named `=HYPERLINK("http://e.x","y")` must not become a live
formula in the workbook a township office opens. openpyxl turns any string starting with "="
into a formula, and Excel and LibreOffice treat text starting with "+", "-", "@", tab or CR as
the start of one when it is edited or pasted. Such text is therefore written as a string cell
(`data_type = "s"`: the file holds the text, never a `<f>` element) carrying Excel's
`quotePrefix` style, the spreadsheet form of the apostrophe OWASP recommends for CSV: Excel
shows and prints the original name unchanged (no added character, so a copy-paste or a
re-import gets the name back as it was) and keeps it text even when the cell is edited.
Numbers, dates and other text are written as they are.
"""

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _as_text(cell: Cell, value: str) -> Cell:
    cell.value = value  # openpyxl makes this a formula...
    cell.data_type = "s"  # ...and this stores it as the text it is
    cell.quotePrefix = True
    return cell


def safe_value(sheet: Any, value: Any) -> Any:
    """`value` ready for `sheet.append`: formula-like text as a text cell, anything else as is."""
    if is_formula_like(value):
        return _as_text(WriteOnlyCell(sheet), value)
    return value


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row (write-only or ordinary worksheet) with formula-like text kept as text."""
    sheet.append([safe_value(sheet, value) for value in values])


def write_cell(sheet: Any, row: int, column: int, value: Any) -> Cell:
    """Set one cell of an ordinary worksheet, formula-like text kept as text."""
    cell = sheet.cell(row=row, column=column)
    if is_formula_like(value):
        return _as_text(cell, value)
    cell.value = value
    return cell


def header_row(
    sheet: Any,
    titles: Sequence[str],
    widths: Sequence[float] = (),
    *,
    font: Font = BOLD,
    fill: PatternFill | None = None,
) -> None:
    """Column widths (in characters) and a styled header row; call before the first row."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet)
        if is_formula_like(title):
            _as_text(cell, title)
        else:
            cell.value = title
        cell.font = font
        if fill is not None:
            cell.fill = fill
        cells.append(cell)
    sheet.append(cells)


def new_workbook() -> Workbook:
    """A streaming workbook: large exports go through without holding cell objects."""
    return Workbook(write_only=True)


def add_sheet(
    book: Workbook,
    title: str,
    titles: Sequence[str] = (),
    widths: Sequence[float] = (),
    *,
    font: Font = BOLD,
    fill: PatternFill | None = None,
) -> Any:
    """A new sheet (title cut to Excel's 31 characters) with its header row when given."""
    sheet = book.create_sheet(title[:31])
    if titles:
        header_row(sheet, titles, widths, font=font, fill=fill)
    elif widths:
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet


def workbook_bytes(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
