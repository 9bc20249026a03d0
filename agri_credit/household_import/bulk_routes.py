"""Thin views of the one-sheet bulk files (村评议, assets, land, crops and livestock, insurance,
entities): the same steps as the household sheet (template, upload and check, the batch page
with its errors, the marked copy, "import the valid rows"), one set of views for every kind."""

from flask import abort, current_app, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.auth.permissions import permission_required
from agri_credit.downloads import XLSX_MIME, ascii_filename, attachment
from agri_credit.extensions import id_cipher
from models import Permission, UploadBatch, db
from village_forms.bulk_sheets import BULK_SHEETS, BulkSheet, build_bulk_template, sheets_of
from village_forms.household_sheet import error_report, mark_errors
from village_forms.xlsx_archive import XlsxLimits

from . import bp
from .bulk_batches import is_xlsx, process_bulk_batch, read_bulk_upload
from .forms import BulkUploadForm
from .pages import (
    batch_url,
    import_valid_rows,
    marked_copy_download,
    render_batch_page,
    render_upload_page,
    run_import,
    template_place,
)
from .routes import _batch_or_404, _target_village, _upload_form
from .services import store_upload


def _spec_or_404(kind: str) -> BulkSheet:
    spec = BULK_SHEETS.get(kind)
    if spec is None:
        abort(404)
    return spec


def _process(batch: UploadBatch, spec: BulkSheet, content: bytes, valid_rows: bool, parsed=None):
    return run_import(
        batch,
        lambda: process_bulk_batch(
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
        ),
    )


@bp.route("/bulk/<kind>", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def bulk_upload(kind: str):
    spec = _spec_or_404(kind)
    form = _upload_form(BulkUploadForm)
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("请按红色提示修改后重新上传"), "danger")
        return render_upload_page(spec, form, BULK_SHEETS.values())
    village = _target_village(form)
    content = form.file.data.read()
    parsed = read_bulk_upload(
        content,
        spec,
        current_app.config["XLSX_MAX_ROWS"],
        XlsxLimits.from_config(current_app.config),
    )
    if parsed.fatal:
        return render_upload_page(
            spec, form, BULK_SHEETS.values(), parsed.errors[0]["message"]
        ), 400
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
    return redirect(batch_url(spec, batch))


@bp.route("/bulk/<kind>/template")
@permission_required(Permission.EDIT_FILES)
def bulk_template(kind: str):
    spec = _spec_or_404(kind)
    code, name = template_place()
    content = build_bulk_template(spec, name, current_app.config["XLSX_MAX_ROWS"])
    return attachment(
        content,
        mimetype=XLSX_MIME,
        filename=f"{spec.sheet}批量导入模板-{name}.xlsx",
        fallback=ascii_filename(f"{spec.kind}-import-template", code, suffix=".xlsx"),
    )


@bp.route("/bulk/<kind>/<int:batch_id>")
@permission_required(Permission.EDIT_FILES)
def bulk_batch(kind: str, batch_id: int):
    spec = _spec_or_404(kind)
    return render_batch_page(spec, _batch_or_404(batch_id, spec.kind), _upload_form(BulkUploadForm))


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
    return marked_copy_download(batch, report, spec.kind)


@bp.route("/bulk/<kind>/<int:batch_id>/import", methods=["POST"])
@permission_required(Permission.EDIT_FILES)
def bulk_import_valid(kind: str, batch_id: int):
    spec = _spec_or_404(kind)
    batch = _batch_or_404(batch_id, spec.kind)
    return import_valid_rows(
        spec, batch, lambda: _process(batch, spec, id_cipher().unseal(batch.content), True)
    )
