"""Thin views over the departmental import: upload, column mapping and preview, the batch
record with its progress, error report and unmatched subjects, and rollback."""

import uuid
from pathlib import Path, PurePath

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import in_scope, region_in_scope
from agri_credit.downloads import XLSX_MIME, ascii_filename, attachment
from agri_credit.request_limits import upload_limit
from agri_credit.url_arguments import page_number
from models import SOURCE_LABELS, BatchStatus, ColumnMapping, ImportBatch, Role, db, utcnow
from village_forms.xlsx_archive import XlsxLimits

from . import batches, bp, jobs, recovery, uploads
from .forms import DepartmentUploadForm, chosen_columns, mapping_errors, mapping_form
from .importer import BatchRefused, create_batch, earlier_import_of, rollback_batch
from .parsing import UnreadableFile, UploadLimits, preview, sniff
from .sources import spec_for, suggest_mapping

PAGE_SIZE = 20


def _folder() -> Path:
    return uploads.upload_folder(current_app.instance_path)


def _upload_limits() -> UploadLimits:
    config = current_app.config
    return UploadLimits(
        xlsx=XlsxLimits.from_config(config, "DEPARTMENTAL_XLSX_MAX_UNZIPPED_BYTES"),
        max_columns=config["DEPARTMENTAL_MAX_COLUMNS"],
    )


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not region_in_scope(batch.scope_code, current_user):
        abort(404)
    return batch


@bp.route("/imports")
@roles_required(Role.OFFICE)
def index():
    source = request.args.get("source", "")
    # Uploads still waiting for their column mapping are listed too (the sweep purges them
    # after a day): an upload the office forgot to map would otherwise vanish from sight.
    query = select(ImportBatch).where(in_scope(ImportBatch.scope_code, current_user))
    if source in SOURCE_LABELS:
        query = query.where(ImportBatch.source == source)
    pagination = db.paginate(
        query.order_by(ImportBatch.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "departmental/index.html",
        pagination=pagination,
        source=source,
        sources=SOURCE_LABELS,
        uploaders=batches.user_names(pagination.items),
    )


@bp.route("/imports/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
@upload_limit("DEPARTMENTAL_UPLOAD_MAX_BYTES")  # department files are large (README: 512 MB)
def upload():
    form = DepartmentUploadForm(source=request.args.get("source"))
    file_error = None
    if form.validate_on_submit():
        token = _folder() / f"upload-{uuid.uuid4().hex}.tmp"
        form.file.data.save(token)
        try:
            batch, _info = create_batch(
                token,
                source=form.source.data,
                user=current_user,
                scope_code=current_user.scope_code,
                filename=PurePath(form.file.data.filename or "upload").name,
                status=BatchStatus.PENDING,
                limits=_upload_limits(),
            )
        except UnreadableFile as exc:
            token.unlink(missing_ok=True)
            file_error = str(exc)
        else:
            token.rename(uploads.pending_path(_folder(), batch.id))
            return redirect(url_for("departmental.mapping", batch_id=batch.id))
    return render_template(
        "departmental/upload.html", form=form, file_error=file_error, sources=SOURCE_LABELS
    )


@bp.route("/imports/<int:batch_id>/mapping", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def mapping(batch_id: int):
    batch = _batch_or_404(batch_id)
    if batch.status != BatchStatus.PENDING:
        return redirect(url_for("departmental.batch", batch_id=batch.id))
    if batch.user_id != current_user.id:
        abort(404)  # an upload waiting for its mapping is its uploader's alone
    path = uploads.pending_path(_folder(), batch.id)
    if not path.exists():
        flash(_("上传的文件已不存在，请重新上传。"), "warning")
        return redirect(url_for("departmental.upload", source=batch.source))
    spec = spec_for(batch.source)
    info = sniff(path)
    saved = db.session.scalar(
        select(ColumnMapping).where(
            ColumnMapping.scope_code == current_user.scope_code,
            ColumnMapping.source == batch.source,
        )
    )
    initial = _initial_mapping(saved, spec, info.headers)
    saved_found = saved_columns_found(saved.columns, info.headers) if saved else None
    form = mapping_form(spec, info.headers, initial)
    problems: list[str] = []
    if form.validate_on_submit():
        columns = chosen_columns(spec, form)
        problems = mapping_errors(spec, columns)
        if not problems:
            # Waiting -> queued exactly once: a second submit of the form (double click, two
            # tabs) finds the batch taken and lands on its page without running it again.
            queued = db.session.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch.id, ImportBatch.status == BatchStatus.PENDING)
                .values(
                    columns=columns,
                    keep_valid_rows=form.on_error.data == "keep_valid",
                    status=BatchStatus.QUEUED,
                    heartbeat_at=utcnow(),
                )
            ).rowcount
            if not queued:
                db.session.rollback()
                return redirect(url_for("departmental.batch", batch_id=batch.id))
            _remember_mapping(saved, batch, columns)
            db.session.commit()
            jobs.dispatch(batch, path)
            return redirect(url_for("departmental.batch", batch_id=batch.id))
    sample = preview(path, info)
    return render_template(
        "departmental/mapping.html",
        batch=batch,
        spec=spec,
        form=form,
        headers=info.headers,
        sample=batches.masked_preview(sample),
        saved=saved,
        saved_found=saved_found,
        problems=problems,
        earlier=earlier_import_of(batch),
    )


def _initial_mapping(saved: ColumnMapping | None, spec, headers: list[str]) -> dict[str, str]:
    """The saved mapping where its headers are still in the file, else a suggestion."""
    suggested = suggest_mapping(spec, headers)
    if saved is None:
        return suggested
    kept = {k: v for k, v in saved.columns.items() if v in headers}
    return suggested | kept


def saved_columns_found(columns: dict[str, str], headers: list[str]) -> tuple[int, int]:
    """How many of a saved mapping's columns this file has, of how many: the page must not
    say it applied a mapping none of whose columns exist here."""
    named = [header for header in columns.values() if header]
    return sum(header in headers for header in named), len(named)


def _remember_mapping(saved: ColumnMapping | None, batch: ImportBatch, columns: dict) -> None:
    if saved is None:
        saved = ColumnMapping(scope_code=current_user.scope_code, source=batch.source)
        db.session.add(saved)
    saved.columns = columns
    saved.updated_by_id = current_user.id


@bp.route("/imports/<int:batch_id>")
@roles_required(Role.OFFICE)
def batch(batch_id: int):
    batch = _batch_or_404(batch_id)
    if batch.status == BatchStatus.PENDING:
        return redirect(url_for("departmental.mapping", batch_id=batch.id))
    return render_template(
        "departmental/batch.html",
        batch=batch,
        spec=spec_for(batch.source),
        state=jobs.progress(batch),
        restartable=recovery.restartable(
            batch, uploads.pending_path(_folder(), batch.id), utcnow()
        ),
        rejections=batches.rejections(batch, limit=200),
        unmatched=batches.unmatched_subjects(batch, limit=100),
        uploader=batches.user_names([batch]).get(batch.user_id, ""),
    )


@bp.route("/imports/<int:batch_id>/progress")
@roles_required(Role.OFFICE)
def progress(batch_id: int):
    return jsonify(jobs.progress(_batch_or_404(batch_id)))


@bp.route("/imports/<int:batch_id>/errors.xlsx")
@roles_required(Role.OFFICE)
def error_report(batch_id: int):
    batch = _batch_or_404(batch_id)
    stream = batches.error_workbook(batch)
    return attachment(
        stream.getvalue(),
        mimetype=XLSX_MIME,
        filename=f"错误报告_批次{batch.id}_{PurePath(batch.filename).stem}.xlsx",
        fallback=ascii_filename("import-errors", f"batch{batch.id}", batch.source, suffix=".xlsx"),
    )


@bp.route("/imports/<int:batch_id>/rollback", methods=["POST"])
@roles_required(Role.OFFICE)
def rollback(batch_id: int):
    batch = _batch_or_404(batch_id)
    try:
        rollback_batch(batch, current_user)
    except BatchRefused as exc:
        flash(str(exc), "danger")
    else:
        flash(
            _("批次 #%(id)s 已撤销：本批次写入的记录已删除，被它更新的记录已恢复。", id=batch.id),
            "success",
        )
    return redirect(url_for("departmental.batch", batch_id=batch.id))


@bp.route("/imports/<int:batch_id>/restart", methods=["POST"])
@roles_required(Role.OFFICE)
def restart(batch_id: int):
    """Start an interrupted batch again from its kept file."""
    batch = _batch_or_404(batch_id)
    path = uploads.pending_path(_folder(), batch.id)
    try:
        recovery.restart(batch, path, utcnow())
    except BatchRefused as exc:
        flash(str(exc), "danger")
    else:
        jobs.dispatch(batch, path)
        flash(_("批次 #%(id)s 已从保留的文件重新开始导入。", id=batch.id), "success")
    return redirect(url_for("departmental.batch", batch_id=batch.id))
