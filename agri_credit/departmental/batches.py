"""What the batch pages show: the error report, the subjects no file matched yet, the masked
preview of an uploaded file."""

from io import BytesIO

import pandas as pd
from openpyxl.styles import Font, PatternFill
from sqlalchemy import func, select

from models import ImportBatch, ImportRejection, SubjectKey, User, db, mask_id
from village_forms.xlsx_writer import add_sheet, append_row, new_workbook, workbook_bytes

from .sources import spec_for

ID_LIKE = r"\d{15,17}[\dXx]"


def user_names(batches: list[ImportBatch]) -> dict[int, str]:
    ids = {b.user_id for b in batches}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


def masked_preview(sample: pd.DataFrame) -> pd.DataFrame:
    """The first rows as uploaded, with anything shaped like an ID number masked."""
    sample = sample.copy()
    for column in sample.columns:
        text = sample[column].astype(str)
        looks_like_id = text.str.fullmatch(ID_LIKE)
        sample[column] = text.where(~looks_like_id, text.map(mask_id))
    return sample


def rejections(batch: ImportBatch, limit: int) -> list[ImportRejection]:
    return list(
        db.session.scalars(
            select(ImportRejection)
            .where(ImportRejection.batch_id == batch.id)
            .order_by(ImportRejection.row_number, ImportRejection.id)
            .limit(limit)
        )
    )


def unmatched_subjects(batch: ImportBatch, limit: int) -> list[dict]:
    """Subjects of this batch's current records that no file carries yet, most rows first.
    Their records are kept and appear on the file once one is created."""
    model = spec_for(batch.source).model
    rows = db.session.execute(
        select(SubjectKey.masked, SubjectKey.name, func.count().label("rows"))
        .join(model, model.subject_key_id == SubjectKey.id)
        .where(
            model.batch_id == batch.id,
            model.superseded_by_id.is_(None),
            SubjectKey.household_id.is_(None),
            SubjectKey.entity_id.is_(None),
            SubjectKey.enterprise_id.is_(None),
        )
        .group_by(SubjectKey.id, SubjectKey.masked, SubjectKey.name)
        .order_by(func.count().desc(), SubjectKey.masked)
        .limit(limit)
    ).all()
    return [{"masked": m, "name": n, "rows": r} for m, n, r in rows]


def error_workbook(batch: ImportBatch) -> BytesIO:
    """Every stored rejection of the batch as an XLSX a clerk can work through. Cell values
    come from the uploaded file, so they go through the formula-safe writer."""
    workbook = new_workbook()
    sheet = add_sheet(
        workbook,
        "错误报告",
        ("行号", "字段", "文件中的列", "单元格内容", "错误原因"),
        (8, 22, 22, 24, 60),
        font=Font(bold=True, color="FFFFFF"),
        fill=PatternFill("solid", fgColor="198754"),
    )
    query = (
        select(
            ImportRejection.row_number,
            ImportRejection.field,
            ImportRejection.column,
            ImportRejection.value,
            ImportRejection.message,
        )
        .where(ImportRejection.batch_id == batch.id)
        .order_by(ImportRejection.row_number, ImportRejection.id)
        .execution_options(yield_per=5000)
    )
    for row in db.session.execute(query):
        append_row(sheet, row)
    summary = add_sheet(workbook, "说明")
    append_row(summary, ["文件", batch.filename])
    append_row(summary, ["批次", f"#{batch.id}"])
    append_row(summary, ["数据来源", batch.source_label])
    append_row(summary, ["读取行数", batch.rows_read])
    append_row(summary, ["有错误的行数", batch.rows_rejected])
    append_row(summary, ["行号", "与 Excel 中看到的行号一致（第1行是表头）"])
    return BytesIO(workbook_bytes(workbook))
