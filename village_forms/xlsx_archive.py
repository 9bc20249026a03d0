"""The check every uploaded .xlsx passes before anything opens it as a workbook.

An .xlsx is a zip: a file of a few hundred KB can unpack to a gigabyte of sheet XML or shared
strings (a decompression bomb), which openpyxl would then spend minutes and gigabytes parsing.
This reads only the zip's central directory — the declared size of every part — and refuses the
file when the parts add up to more than the limit, or when a sizeable part is compressed far
more than real spreadsheet XML ever is. Trusting the declared sizes is safe: Python's zipfile,
which openpyxl reads through, never inflates a part beyond its declared size and fails its CRC
check when the declaration lies. The check takes milliseconds whatever the file holds.

Every upload path (departmental imports, the household sheet) calls `xlsx_archive_problem`; the
limits come from the app config (see `XlsxLimits.from_config`).
"""

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l

# Real sheet XML compresses 5-20 times (openpyxl, Excel); small parts (styles, a sheet of empty
# formatted rows) may compress far better and are harmless, so only parts above this size have
# their ratio checked.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MB = 1024 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    """What an uploaded workbook may unpack to. The defaults are those of config.py, which the
    app overrides per path (`XLSX_MAX_UNZIPPED_BYTES` for cadres' sheets,
    `DEPARTMENTAL_XLSX_MAX_UNZIPPED_BYTES` for department files)."""

    max_unzipped_bytes: int = 200 * MB
    max_compression_ratio: float = 100
    max_parts: int = 10_000

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], unzipped_key: str = "XLSX_MAX_UNZIPPED_BYTES"
    ) -> "XlsxLimits":
        return cls(
            max_unzipped_bytes=int(config[unzipped_key]),
            max_compression_ratio=float(config["XLSX_MAX_COMPRESSION_RATIO"]),
            max_parts=int(config["XLSX_MAX_PARTS"]),
        )


def xlsx_archive_problem(source: Path | bytes | BinaryIO, limits: XlsxLimits) -> str | None:
    """Why this zip must not be opened as a workbook (in the user's language), or None.

    A file that is not a zip at all is left to the caller's own "not an xlsx" message."""
    if isinstance(source, bytes):
        source = BytesIO(source)
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return str(_l("文件已损坏或不是 Excel（.xlsx）文件"))
    if len(parts) > limits.max_parts:
        return str(
            _l(
                "这个 Excel 文件包含 %(n)s 个内部部件，超过 %(max)s 个的上限，不像是正常的表格文件",
                n=f"{len(parts):,}",
                max=f"{limits.max_parts:,}",
            )
        )
    total = sum(part.file_size for part in parts)
    if total > limits.max_unzipped_bytes:
        return str(
            _l(
                "这个 Excel 文件解压后有 %(size)s MB，超过 %(max)s MB 的上限。"
                "请分成几个文件上传，或另存为 CSV 后上传",
                size=f"{total / MB:,.0f}",
                max=f"{limits.max_unzipped_bytes / MB:,.0f}",
            )
        )
    for part in parts:
        if part.file_size < RATIO_CHECKED_FROM_BYTES:
            continue
        ratio = part.file_size / max(part.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            return str(
                _l(
                    "这个 Excel 文件的内容被压缩了 %(ratio)s 倍（上限 %(max)s 倍），"
                    "疑似恶意构造的压缩文件，已拒绝。请用 Excel 重新保存后再上传",
                    ratio=f"{ratio:,.0f}",
                    max=f"{limits.max_compression_ratio:,.0f}",
                )
            )
    return None
