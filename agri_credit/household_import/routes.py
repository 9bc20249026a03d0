"""Thin views: template download, upload and check, the batch page, the marked copy, and
"import the valid rows". The work is in services.py and village_forms.household_sheet."""

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.auth.permissions import permission_required
from agri_credit.auth.scopes import region_in_scope, village_choices
from agri_credit.downloads import XLSX_MIME, ascii_filename, attachment
from agri_credit.extensions import id_cipher
from models import Permission, RegionLevel, UploadBatch, db
from village_forms.bulk_sheets import BULK_SHEETS
from village_forms.household_sheet import build_template, mark_errors
from village_forms.household_sheet_reader import parse_workbook
from village_forms.xlsx_archive import XlsxLimits

from . import bp
from .forms import HouseholdUploadForm
from .pages import (
    import_valid_rows,
    marked_copy_download,
    render_batch_page,
    render_upload_page,
    run_import,
    template_place,
)
from .services import process_batch, store_upload


def _is_cadre_scope() -> bool:
    return current_user.scope.level == RegionLevel.VILLAGE


def _upload_form(form_class: type[HouseholdUploadForm] = HouseholdUploadForm):
    form = form_class()
    if _is_cadre_scope():
        del form.village_code  # a cadre imports into her own village, whatever is posted
    else:
        # The prompt first, outside any group; then the villages grouped by township.
        form.village_code.choices = {None: [("", _("请选择"))], **village_choices(current_user)}
    return form


def _target_village(form: HouseholdUploadForm) -> str:
    code = current_user.scope_code if _is_cadre_scope() else form.village_code.data
    if not code or not region_in_scope(code, current_user):
        abort(403)
    return code


def _batch_or_404(batch_id: int, kind: str = "households") -> UploadBatch:
    """Uploads are personal: another user's batch is not disclosed."""
    batch = db.session.get(UploadBatch, batch_id)
    if batch is None or batch.kind != kind or batch.user_id != current_user.id:
        abort(404)
    return batch


def _process(batch: UploadBatch, content: bytes, import_valid_rows: bool, parsed=None) -> bool:
    return run_import(
        batch,
        lambda: process_batch(
            db.session,
            batch,
            content,
            id_cipher(),
            current_user.id,
            current_app.config["XLSX_MAX_ROWS"],
            import_valid_rows,
            remote_addr=request.remote_addr,
            parsed=parsed,
            user_scope=current_user.scope_code,
        ),
    )


@bp.route("/households", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def upload():
    form = _upload_form()
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("请按红色提示修改后重新上传"), "danger")
        return render_upload_page(None, form, BULK_SHEETS.values())
    village = _target_village(form)
    content = form.file.data.read()
    parsed = parse_workbook(
        content, current_app.config["XLSX_MAX_ROWS"], XlsxLimits.from_config(current_app.config)
    )
    if parsed.fatal:
        # Nothing worth keeping: say what is wrong with the file and offer the form again.
        message = parsed.errors[0]["message"]
        return render_upload_page(None, form, BULK_SHEETS.values(), message), 400
    batch = store_upload(
        db.session, content, form.file.data.filename, current_user.id, village, id_cipher()
    )
    # Committed on its own so the upload and its errors survive a failed import.
    db.session.commit()
    _process(batch, content, form.import_valid_rows.data, parsed)
    return redirect(url_for("household_import.batch", batch_id=batch.id))


@bp.route("/households/template")
@permission_required(Permission.EDIT_FILES)
def template():
    code, name = template_place()
    content = build_template(name, current_app.config["XLSX_MAX_ROWS"])
    return attachment(
        content,
        mimetype=XLSX_MIME,
        filename=f"农户批量导入模板-{name}.xlsx",
        fallback=ascii_filename("household-import-template", code, suffix=".xlsx"),
    )


@bp.route("/households/<int:batch_id>")
@permission_required(Permission.EDIT_FILES)
def batch(batch_id: int):
    return render_batch_page(None, _batch_or_404(batch_id), _upload_form())


@bp.route("/households/<int:batch_id>/marked.xlsx")
@permission_required(Permission.EDIT_FILES)
def marked(batch_id: int):
    batch = _batch_or_404(batch_id)
    report = mark_errors(id_cipher().unseal(batch.content), batch.errors or [])
    return marked_copy_download(batch, report, "household")


@bp.route("/households/<int:batch_id>/import", methods=["POST"])
@permission_required(Permission.EDIT_FILES)
def import_valid(batch_id: int):
    batch = _batch_or_404(batch_id)
    return import_valid_rows(
        None,
        batch,
        lambda: _process(batch, id_cipher().unseal(batch.content), import_valid_rows=True),
    )
