"""Reading departments' files: CSV (UTF-8 or GB18030) or XLSX, in chunks of text cells.

Every cell comes out as a stripped string ("" when empty): typing and validation happen in
one place (validation.py), whatever the file format. CSV goes through pandas' chunked reader,
so memory stays bounded by the chunk size. XLSX goes through calamine (Rust, about ten times
faster than openpyxl) when the workbook unpacks to at most FAST_XLSX_MAX_UNZIPPED_BYTES: it
holds the sheet in memory, so a larger workbook streams through openpyxl's read-only mode
instead, bounded by the chunk size. Both give the same cells (tests compare them); one
difference: a number longer than 15-17 digits stored as a number (an ID number an exporter
wrote as a number) comes out of calamine as the nearest double, openpyxl kept its digits;
Excel itself never stores more than 15, and validation rejects such ID numbers either way.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO

import pandas as pd
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from python_calamine import CalamineWorkbook

from village_forms.xlsx_archive import XlsxLimits, xlsx_archive_problem

CHUNK_ROWS = 100_000
SNIFF_BYTES = 256 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
# calamine holds the whole sheet in memory (a few times its XML size at most): above this,
# openpyxl streams it. Department files up to ~1 million rows fall below.
FAST_XLSX_MAX_UNZIPPED_BYTES = 256 * 1024 * 1024

# Progress callback: rows read so far and the fraction of the file behind us (0..1).
Progress = Callable[[int, float], None]


class UnreadableFile(ValueError):
    """The file cannot be read as a table; the message says why, in the user's language."""


@dataclass(frozen=True)
class FileInfo:
    format: str  # "csv" or "xlsx"
    encoding: str  # "" for xlsx
    headers: list[str]


@dataclass(frozen=True)
class UploadLimits:
    """What an uploaded file may be before it is read further (config.py); files the platform
    already checked on upload, or an administrator's own (CLI), are sniffed without them."""

    xlsx: XlsxLimits
    max_columns: int


def sniff(path: Path, limits: UploadLimits | None = None) -> FileInfo:
    """Format, encoding and header row. Raises UnreadableFile with a user-facing reason."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise UnreadableFile(str(_l("文件是空的")))
    if head.startswith(OLE_MAGIC):
        raise UnreadableFile(str(_l("这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再上传")))
    if head.startswith(ZIP_MAGIC):
        if limits and (problem := xlsx_archive_problem(path, limits.xlsx)):
            raise UnreadableFile(problem)
        info = FileInfo("xlsx", "", _xlsx_headers(path))
    else:
        encoding = _csv_encoding(head)
        text = head.decode(encoding, errors="ignore")
        first_line = next(csv.reader(io.StringIO(text)), [])
        headers = [h.strip() for h in first_line]
        if len([h for h in headers if h]) < 2:
            raise UnreadableFile(str(_l("没有读到表头：第一行应是列名，且至少有两列")))
        info = FileInfo("csv", encoding, headers)
    if limits and len(info.headers) > limits.max_columns:
        raise UnreadableFile(
            str(
                _l(
                    "文件第一行有 %(n)s 列，超过 %(max)s 列的上限。请删去不需要导入的列后再上传",
                    n=f"{len(info.headers):,}",
                    max=f"{limits.max_columns:,}",
                )
            )
        )
    return info


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # An incremental decoder tolerates a character cut in half at the end of the sample.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            str(_l("无法识别文件编码：请保存为 UTF-8 或 GB18030（GBK）编码的 CSV"))
        ) from exc


def _open_workbook(handle: BinaryIO):
    """A streaming workbook over an open file. Given a path, openpyxl refuses any name not
    ending in .xlsx, and uploads are stored as `batch-N.upload`; given the file it only reads."""
    return load_workbook(handle, read_only=True, data_only=True)


def _unzipped_bytes(path: Path) -> int:
    """What the workbook's parts add up to, from the zip's directory (no part is inflated)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(str(_l("无法打开这个 Excel 文件，文件可能已损坏"))) from exc


@contextmanager
def _first_sheet(path: Path) -> Iterator[tuple[Iterator[Sequence[object]], int]]:
    """The first sheet's rows of cell values from row 1 (a missing row as an empty one, cells
    from column A), and the rows it declares (for progress)."""
    with open(path, "rb") as handle:
        if _unzipped_bytes(path) <= FAST_XLSX_MAX_UNZIPPED_BYTES:
            try:
                workbook = CalamineWorkbook.from_filelike(handle)
                sheet = workbook.get_sheet_by_index(0)
            except Exception as exc:  # calamine raises several kinds for a damaged file
                raise UnreadableFile(str(_l("无法打开这个 Excel 文件，文件可能已损坏"))) from exc
            try:
                yield _calamine_rows(sheet), sheet.total_height
            finally:
                workbook.close()
            return
        try:
            workbook = _open_workbook(handle)
        except Exception as exc:  # openpyxl raises many kinds for a damaged zip
            raise UnreadableFile(str(_l("无法打开这个 Excel 文件，文件可能已损坏"))) from exc
        try:
            sheet = workbook.worksheets[0]
            yield sheet.iter_rows(values_only=True), _declared_rows(sheet)
        finally:
            workbook.close()


def _calamine_rows(sheet) -> Iterator[Sequence[object]]:
    """calamine's range starts at the first cell holding a value: put back the empty rows
    above it and the empty columns left of it, so row and column numbers are the file's."""
    if sheet.start is None:  # an empty sheet
        return
    first_row, first_column = sheet.start
    for _ in range(first_row):
        yield ()
    padding = [""] * first_column
    for values in sheet.iter_rows():
        yield padding + values if first_column else values


def _xlsx_headers(path: Path) -> list[str]:
    with _first_sheet(path) as (rows, _):
        headers = [_cell_text(v) for v in next(rows, ())]
    while headers and not headers[-1]:
        headers.pop()
    if len([h for h in headers if h]) < 2:
        raise UnreadableFile(str(_l("没有读到表头：第一行应是列名，且至少有两列")))
    return headers


def _cell_text(value: object) -> str:
    """Spreadsheet cells as the text a user typed: whole numbers without ".0", dates as
    ISO dates. A long number Excel stored as a float (an ID number typed as a number) keeps
    the digits Excel kept; validation then reports it as wrong."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def iter_chunks(
    path: Path, info: FileInfo, chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None
) -> Iterator[pd.DataFrame]:
    """Chunks of text cells under the file's headers, indexed by file row number as a user
    sees it in Excel (the header is row 1). Blank rows are skipped but keep their numbers."""
    reader = _csv_chunks if info.format == "csv" else _xlsx_chunks
    yield from reader(path, info, chunk_rows, progress)


def _csv_chunks(
    path: Path, info: FileInfo, chunk_rows: int, progress: Progress | None
) -> Iterator[pd.DataFrame]:
    size = max(path.stat().st_size, 1)
    first_row = 2
    with open(path, "rb") as handle:
        try:
            reader = pd.read_csv(
                handle,
                encoding=info.encoding,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skipinitialspace=True,
                skip_blank_lines=False,
                chunksize=chunk_rows,
                on_bad_lines="error",
            )
            for chunk in reader:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                chunk.index = pd.RangeIndex(first_row, first_row + len(chunk))
                first_row += len(chunk)
                # Cells are stripped where they are read (validation.cells), per distinct value.
                yield _without_blank_rows(chunk)
                if progress:
                    progress(first_row - 2, min(handle.tell() / size, 1.0))
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                str(
                    _l(
                        "第%(row)d行附近的内容不是 %(encoding)s 编码：文件编码混杂或已损坏，"
                        "整个文件未导入",
                        row=first_row,
                        encoding=info.encoding.upper(),
                    )
                )
            ) from exc
        except pd.errors.ParserError as exc:
            raise UnreadableFile(
                str(_l("CSV 格式错误（%(detail)s），整个文件未导入", detail=str(exc)[:120]))
            ) from exc


def _xlsx_chunks(
    path: Path, info: FileInfo, chunk_rows: int, progress: Progress | None
) -> Iterator[pd.DataFrame]:
    with _first_sheet(path) as (sheet_rows, declared):
        total = max(declared - 1, 1)
        width = len(info.headers)
        rows: list[list[str]] = []
        first_row = 2
        next(sheet_rows, None)  # the header row
        for values in sheet_rows:
            cells = [_cell_text(v) for v in values[:width]]
            cells += [""] * (width - len(cells))
            rows.append(cells)
            if len(rows) == chunk_rows:
                yield _frame(rows, info.headers, first_row)
                first_row += len(rows)
                rows = []
                if progress:
                    progress(first_row - 2, min((first_row - 2) / total, 1.0))
        if rows:
            yield _frame(rows, info.headers, first_row)


def _declared_rows(sheet) -> int:
    """Rows the sheet declares, for progress only. Asking openpyxl for `max_row` of a sheet
    written without a <dimension> (write-only exporters) would read the whole sheet first."""
    try:
        _, _, _, max_row = range_boundaries(sheet.calculate_dimension())
    except ValueError:
        return 1
    return max_row or 1


def _frame(rows: list[list[str]], headers: list[str], first_row: int) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=range(len(headers)), index=range(first_row, first_row + len(rows)), dtype=str
    )
    frame.columns = headers
    return _without_blank_rows(frame)


def _without_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    # Spreadsheets often carry formatted but empty rows below the data.
    return frame[(frame != "").any(axis=1)]


def preview(path: Path, info: FileInfo, rows: int = 10) -> pd.DataFrame:
    """The first rows, for the mapping page."""
    return next(iter_chunks(path, info, chunk_rows=rows), pd.DataFrame(columns=info.headers))
