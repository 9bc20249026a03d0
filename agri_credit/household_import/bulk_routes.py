"""Thin views of the one-sheet bulk files (村评议, assets, land, crops and livestock, insurance,
entities): the same steps as the household sheet (template, upload and check, the batch page
with its errors, the marked copy, "import the valid rows"), one set of views for every kind."""

from io import BytesIO
from pathlib import PurePath

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from agri_credit.auth.permissions import permission_required
from agri_credit.auth.scopes import region_in_scope
from agri_credit.extensions import id_cipher
from models import Permission, Region, UploadBatch, db
from village_forms.bulk_sheets import BULK_SHEETS, BulkSheet, build_bulk_template, sheets_of
from village_forms.household_sheet import error_report, mark_errors
from village_forms.xlsx_archive import XlsxLimits

from . import bp
from .bulk_batches import is_xlsx, process_bulk_batch, read_bulk_upload
from .forms import BulkUploadForm
from .routes import ERRORS_SHOWN, XLSX_MIME, _batch_or_404, _target_village, _upload_form
from .services import store_upload


def _spec_or_404(kind: str) -> BulkSheet:
    spec = BULK_SHEETS.get(kind)
    if spec is None:
        abort(404)
    return spec


def _process(batch: UploadBatch, spec: BulkSheet, content: bytes, valid_rows: bool, parsed=None):
    """Check and maybe import; on any failure roll the import back and say so."""
    try:
        process_bulk_batch(
            db.session,
            batch,
            spec,
            content,
            id_cipher(),
            current_user.id,
            current_app.config["XLSX_MAX_ROWS"],
            valid_rows,
            remote_addr=request.remote_addr,
            parsed=parsed,
            user_scope=current_user.scope_code,
        )
        db.session.commit()
        return True
    except Exception:
        db.session.rollback()
        current_app.logger.exception("bulk import failed, batch %s", batch.id)
        batch.status = "failed"
        db.session.commit()
        return False


def _page(spec: BulkSheet, form: BulkUploadForm, file_error: str | None = None):
    return render_template(
        "household_import/bulk_upload.html",
        spec=spec,
        kinds=BULK_SHEETS.values(),
        form=form,
        file_error=file_error,
    )


@bp.route("/bulk/<kind>", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def bulk_upload(kind: str):
    spec = _spec_or_404(kind)
    form = _upload_form(BulkUploadForm)
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("请按红色提示修改后重新上传"), "danger")
        return _page(spec, form)
    village = _target_village(form)
    content = form.file.data.read()
    parsed = read_bulk_upload(
        content,
        spec,
        current_app.config["XLSX_MAX_ROWS"],
        XlsxLimits.from_config(current_app.config),
    )
    if parsed.fatal:
        return _page(spec, form, parsed.errors[0]["message"]), 400
    batch = store_upload(
        db.session,
        content,
        form.file.data.filename,
        current_user.id,
        village,
        id_cipher(),
        kind=spec.kind,
    )
    db.session.commit()  # the upload and its errors survive a failed import
    _process(batch, spec, content, form.import_valid_rows.data, parsed)
    return redirect(url_for("household_import.bulk_batch", kind=spec.kind, batch_id=batch.id))


@bp.route("/bulk/<kind>/template")
@permission_required(Permission.EDIT_FILES)
def bulk_template(kind: str):
    spec = _spec_or_404(kind)
    code = request.args.get("village") or current_user.scope_code
    region = db.session.get(Region, code) if region_in_scope(code, current_user) else None
    name = region.name if region else current_user.scope.name
    content = build_bulk_template(spec, name, current_app.config["XLSX_MAX_ROWS"])
    return send_file(
        BytesIO(content),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{spec.sheet}批量导入模板-{name}.xlsx",
    )


@bp.route("/bulk/<kind>/<int:batch_id>")
@permission_required(Permission.EDIT_FILES)
def bulk_batch(kind: str, batch_id: int):
    spec = _spec_or_404(kind)
    batch = _batch_or_404(batch_id, spec.kind)
    form = _upload_form(BulkUploadForm)
    if "village_code" in form:
        form.village_code.data = batch.scope_code
    errors = batch.errors or []
    return render_template(
        "household_import/bulk_batch.html",
        spec=spec,
        batch=batch,
        village=db.session.get(Region, batch.scope_code),
        errors=errors[:ERRORS_SHOWN],
        error_count=len(errors),
        rejected=max(batch.rows_read - batch.rows_valid, 0),
        form=form,
    )


@bp.route("/bulk/<kind>/<int:batch_id>/errors.xlsx")
@permission_required(Permission.EDIT_FILES)
def bulk_errors(kind: str, batch_id: int):
    """The uploaded workbook with its bad cells marked; for a CSV, the error list."""
    spec = _spec_or_404(kind)
    batch = _batch_or_404(batch_id, spec.kind)
    content = id_cipher().unseal(batch.content)
    errors = batch.errors or []
    report = (
        mark_errors(content, errors, sheets_of(spec)) if is_xlsx(content) else error_report(errors)
    )
    # The marked copy carries ID numbers in full: a sensitive export, journalled like a reveal.
    record_event(
        "household_import.download_marked",
        "upload_batch",
        batch.id,
        "下载标出错误的导入文件：" + batch.filename,
    )
    db.session.commit()
    stem = PurePath(batch.filename).stem or "upload"
    return send_file(
        BytesIO(report),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{stem}-错误标记.xlsx",
    )


@bp.route("/bulk/<kind>/<int:batch_id>/import", methods=["POST"])
@permission_required(Permission.EDIT_FILES)
def bulk_import_valid(kind: str, batch_id: int):
    spec = _spec_or_404(kind)
    batch = _batch_or_404(batch_id, spec.kind)
    if not region_in_scope(batch.scope_code, current_user):
        abort(403)
    if batch.status != "checked":
        flash(_("这个文件已经处理过了"), "info")
    elif (
        _process(batch, spec, id_cipher().unseal(batch.content), True)
        and batch.status != "imported"
    ):
        flash(_("没有可导入的有效行"), "warning")
    return redirect(url_for("household_import.bulk_batch", kind=spec.kind, batch_id=batch.id))
