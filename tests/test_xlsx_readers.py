"""The departmental importer reads XLSX with calamine, and with openpyxl's streaming reader
when the workbook is too large to hold in memory (parsing.FAST_XLSX_MAX_UNZIPPED_BYTES): both
must give the same header, the same text cells, the same row numbers and the same refusals."""

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from agri_credit.demo.xlsx import write_xlsx
from agri_credit.departmental import parsing


def read(path: Path, streaming: bool, monkeypatch) -> tuple[object, pd.DataFrame | None]:
    """(FileInfo or the refusal's message, every chunk of 3 rows concatenated)."""
    with monkeypatch.context() as patch:
        if streaming:
            patch.setattr(parsing, "FAST_XLSX_MAX_UNZIPPED_BYTES", 0)
        try:
            info = parsing.sniff(path)
        except parsing.UnreadableFile as exc:
            return str(exc), None
        chunks = list(parsing.iter_chunks(path, info, chunk_rows=3))
        return info, pd.concat(chunks) if chunks else None


def both(path: Path, monkeypatch):
    fast, streamed = read(path, False, monkeypatch), read(path, True, monkeypatch)
    assert fast[0] == streamed[0]
    if fast[1] is None:
        assert streamed[1] is None
    else:
        pd.testing.assert_frame_equal(fast[1], streamed[1])
    return fast


def test_spreadsheet_cells_read_the_same_by_both_readers(tmp_path, monkeypatch):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["户号", " 户名 ", "金额", "日期", "时间", "是否", "公式", None, "备注"])
    sheet.append(["0101", " 杨建国 ", 12.5, date(2026, 3, 1), datetime(2026, 3, 1, 8, 30), True])
    sheet.append(["0102", "王秀英", 300, datetime(2025, 12, 31), None, False, "=1+1"])
    sheet.append([])  # a blank row keeps its number
    sheet.append(["0103", "李", 7.0, "2026/1/5", None, None, None, None, "在表头之外"])
    sheet.cell(row=9, column=2, value="隔了几行")
    sheet.cell(row=10, column=12, value="超出表头的列")
    sheet.cell(row=11, column=1, value=1e-05)
    workbook.save(tmp_path / "cells.xlsx")

    info, frame = both(tmp_path / "cells.xlsx", monkeypatch)
    assert info.headers == ["户号", "户名", "金额", "日期", "时间", "是否", "公式", "", "备注"]
    assert list(frame.index) == [2, 3, 5, 9, 11]
    assert frame.loc[2].tolist() == [
        "0101", "杨建国", "12.5", "2026-03-01", "2026-03-01 08:30:00", "True", "", "", ""
    ]  # fmt: skip
    assert frame.loc[3, "金额"] == "300" and frame.loc[3, "日期"] == "2025-12-31"
    assert frame.loc[5, "金额"] == "7" and frame.loc[5, "备注"] == "在表头之外"
    assert frame.loc[11, "户号"] == "1e-05"


def test_leading_empty_column_and_the_demo_writer_read_the_same(tmp_path, monkeypatch):
    workbook = Workbook()
    sheet = workbook.active
    sheet.cell(row=1, column=2, value="证件号码")
    sheet.cell(row=1, column=3, value="余额")
    sheet.cell(row=2, column=2, value="610528198006297751")
    sheet.cell(row=2, column=3, value=5)
    workbook.save(tmp_path / "offset.xlsx")
    info, frame = both(tmp_path / "offset.xlsx", monkeypatch)
    assert info.headers == ["", "证件号码", "余额"]
    assert frame.loc[2].tolist() == ["", "610528198006297751", "5"]

    demo = pd.DataFrame(
        {
            "身份证号": ["610528198006297751", "61052819800629775X", "A&B <c>"],
            "用水量(吨)": [5.8, 7.0, float("nan")],
            "月数": [1, 2, 3],
            "缴费日期": [date(2025, 11, 9), None, date(2026, 1, 16)],
        }
    )
    write_xlsx(demo, tmp_path / "demo.xlsx", sheet_name="水务")
    info, frame = both(tmp_path / "demo.xlsx", monkeypatch)
    assert frame.to_dict("list") == {
        "身份证号": ["610528198006297751", "61052819800629775X", "A&B <c>"],
        "用水量(吨)": ["5.8", "7", ""],
        "月数": ["1", "2", "3"],
        "缴费日期": ["2025-11-09", "", "2026-01-16"],
    }


@pytest.mark.parametrize("kind", ["no header", "damaged", "empty sheet"])
def test_both_readers_refuse_the_same_files_alike(tmp_path, monkeypatch, kind):
    path = tmp_path / f"{kind}.xlsx"
    if kind == "damaged":
        path.write_bytes(parsing.ZIP_MAGIC + b"\x00" * 200)
    else:
        workbook = Workbook()
        if kind == "no header":
            workbook.active.cell(row=3, column=1, value="数据在第三行")
            workbook.active.cell(row=3, column=2, value="没有表头")
        workbook.save(path)
    message, frame = both(path, monkeypatch)
    assert frame is None
    assert message in (
        "没有读到表头：第一行应是列名，且至少有两列",
        "无法打开这个 Excel 文件，文件可能已损坏",
    )
    assert (message == "无法打开这个 Excel 文件，文件可能已损坏") == (kind == "damaged")
