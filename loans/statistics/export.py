"""The statistics as an XLSX workbook (through the formula-safe writer): the filters and
definitions, the totals, and one sheet per table of the page."""

from typing import Any

from village_forms.xlsx_writer import add_sheet, append_row, new_workbook, workbook_bytes

from .tables import Table


def statistics_workbook(
    summary: list[tuple[str, Any]],
    definitions: list[str],
    tables: list[Table],
    summary_title: str = "汇总",
) -> bytes:
    book = new_workbook()
    sheet = add_sheet(book, summary_title, widths=(28, 60))
    for label, value in summary:
        append_row(sheet, [label, value])
    append_row(sheet, [])
    for line in definitions:
        append_row(sheet, [line])
    for table in tables:
        sheet = add_sheet(book, table.title, table.headers, [18] + [12] * (len(table.headers) - 1))
        for row in table.rows:
            append_row(sheet, row)
        if table.note:
            append_row(sheet, [])
            append_row(sheet, [table.note])
    return workbook_bytes(book)
