"""What the household sheet's pages and the bulk kinds' pages share: the links each page
shows, running a check-and-import so that a failure leaves nothing behind, the batch page,
the marked copy download and "import the valid rows". `spec` is None for the household sheet
(households and members) and a `BulkSheet` for the one-sheet kinds."""

from collections.abc import Callable
from pathlib import PurePath

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from agri_credit.auth.scopes import region_in_scope
from agri_credit.downloads import XLSX_MIME, ascii_filename, attachment
from models import Region, UploadBatch, db
from village_forms.bulk_sheets import BulkSheet

ERRORS_SHOWN = 500  # the page stays light on a phone; the marked workbook has them all


def import_links(spec: BulkSheet | None, batch_id: int | None = None) -> dict[str, str]:
    """The URLs an upload or batch page links to, for the household sheet or a bulk kind."""
    if spec is None:
        links = {
            "upload": url_for("household_import.upload"),
            "template": url_for("household_import.template"),
        }
        if batch_id is not None:
            links["errors"] = url_for("household_import.marked", batch_id=batch_id)
            links["import_valid"] = url_for("household_import.import_valid", batch_id=batch_id)
        return links
    links = {
        "upload": url_for("household_import.bulk_upload", kind=spec.kind),
        "template": url_for("household_import.bulk_template", kind=spec.kind),
    }
    if batch_id is not None:
        links["errors"] = url_for("household_import.bulk_errors", kind=spec.kind, batch_id=batch_id)
        links["import_valid"] = url_for(
            "household_import.bulk_import_valid", kind=spec.kind, batch_id=batch_id
        )
    return links


def template_place() -> tuple[str, str]:
    """The region a blank template is made for (its code and name): the `village` asked for
    when it is in the user's scope, else the user's own scope."""
    code = request.args.get("village") or current_user.scope_code
    region = db.session.get(Region, code) if region_in_scope(code, current_user) else None
    if region is None:
        return current_user.scope_code, current_user.scope.name
    return region.code, region.name


def batch_url(spec: BulkSheet | None, batch: UploadBatch) -> str:
    if spec is None:
        return url_for("household_import.batch", batch_id=batch.id)
    return url_for("household_import.bulk_batch", kind=spec.kind, batch_id=batch.id)


def run_import(batch: UploadBatch, work: Callable[[], None]) -> bool:
    """Check and maybe import; on any failure roll the import back and mark the batch failed
    (the batch page says so; nothing else was written)."""
    try:
        work()
        db.session.commit()
        return True
    except Exception:
        db.session.rollback()
        current_app.logger.exception("%s import failed, batch %s", batch.kind, batch.id)
        batch.status = "failed"
        db.session.commit()
        return False


def render_upload_page(spec: BulkSheet | None, form, kinds, file_error: str | None = None):
    return render_template(
        "household_import/upload.html",
        spec=spec,
        kinds=kinds,
        form=form,
        file_error=file_error,
        links=import_links(spec),
    )


def render_batch_page(spec: BulkSheet | None, batch: UploadBatch, form):
    if "village_code" in form:
        form.village_code.data = batch.scope_code
    errors = batch.errors or []
    return render_template(
        "household_import/batch.html",
        spec=spec,
        batch=batch,
        village=db.session.get(Region, batch.scope_code),
        errors=errors[:ERRORS_SHOWN],
        error_count=len(errors),
        rejected=max(batch.rows_read - batch.rows_valid, 0),
        form=form,
        links=import_links(spec, batch.id),
    )


def marked_copy_download(batch: UploadBatch, report: bytes, kind: str):
    """The uploaded file with its errors marked. It carries ID numbers in full: a sensitive
    export, journalled like a reveal."""
    record_event(
        "household_import.download_marked",
        "upload_batch",
        batch.id,
        "下载标出错误的导入文件：" + batch.filename,
    )
    db.session.commit()
    stem = PurePath(batch.filename).stem or "upload"
    return attachment(
        report,
        mimetype=XLSX_MIME,
        filename=f"{stem}-错误标记.xlsx",
        fallback=ascii_filename(f"{kind}-import-errors-marked", f"batch{batch.id}", suffix=".xlsx"),
    )


def import_valid_rows(spec: BulkSheet | None, batch: UploadBatch, process: Callable[[], bool]):
    """The batch page's "仅导入有效行" button: once, and only for a batch still in scope."""
    if not region_in_scope(batch.scope_code, current_user):
        abort(403)
    if batch.status != "checked":
        flash(_("这个文件已经处理过了"), "info")
    elif process() and batch.status != "imported":
        flash(_("没有可导入的有效行"), "warning")
    return redirect(batch_url(spec, batch))
