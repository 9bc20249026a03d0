from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError

from agri_credit.audit import journal_of, record_event
from agri_credit.auth.permissions import FILE_KEEPERS, permission_required, roles_required
from agri_credit.auth.scopes import (
    entities_in_scope,
    entity_or_404,
    region_in_scope,
    village_choices,
    villages_by_township,
    villages_in_scope,
)
from agri_credit.change_display import change_lines
from agri_credit.dashboard.file_requests import open_request_or_none
from agri_credit.departmental.records import credit_records_in_use, subject_records
from agri_credit.extensions import id_cipher
from agri_credit.file_panels import file_panels
from agri_credit.file_versions import (
    STALE_EDIT_MESSAGE,
    StaleEdit,
    changes_since,
    mark_clashes,
    parse_version,
    rebase_plain_fields,
)
from agri_credit.id_reveal import RevealForm, grant, take_grant
from agri_credit.rating_cycle.publication.services import grades_now
from agri_credit.rating_cycle.runs.subject_ratings import subject_ratings
from agri_credit.url_arguments import id_arg, page_number
from models import AgriEntity, EntityType, Permission, clock, db
from village_forms.entity_fields import COOPERATIVE_USCC_PREFIX, ENTITY_TYPES
from village_forms.entity_forms import EntityForm, field_labels, record_row_template
from village_forms.household_fields import RECORD_POLARITIES
from village_forms.identifiers import id_number_error

from . import bp
from .services import (
    EntityFilters,
    filter_entities,
    find_entity_by_uscc,
    find_unregistered_by_operator_id,
    form_data_for,
    reveal_operator_id,
    save_entity,
)


@bp.route("/")
@roles_required(*FILE_KEEPERS)
def index():
    q = request.args.get("q", "").strip()
    filters = EntityFilters(
        q=q,
        operator_id_hash=id_cipher().blind_index(q) if id_number_error(q) is None else "",
        entity_type=request.args.get("type", ""),
        village=request.args.get("village", ""),
        completeness=request.args.get("completeness", ""),
        missing=request.args.get("missing", ""),
        sort=request.args.get("sort", "name"),
    )
    query = filter_entities(entities_in_scope(current_user), filters)
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    villages = villages_by_township(current_user) if current_user.scope.level != "village" else []
    return render_template(
        "entities/index.html", page=page, filters=filters, villages=villages, types=ENTITY_TYPES
    )


def _build_form(entity: AgriEntity | None) -> EntityForm:
    form = EntityForm(
        data=form_data_for(entity) if entity and request.method == "GET" else None,
        has_stored_operator_id=bool(entity and entity.operator_id_hash),
    )
    form.village_code.choices = village_choices(current_user)  # grouped by township
    only = [code for group in form.village_code.choices.values() for code, _name in group]
    if entity is None and len(only) == 1 and not form.village_code.data:
        form.village_code.data = only[0]
    return form


def _link_error(field, message: str, duplicate: AgriEntity, hidden: str) -> None:
    """Link to the file already holding the number, or, outside the user's scope, say only
    `hidden`: neither the name nor the village of a file she may not see."""
    if not region_in_scope(duplicate.village_code, current_user):
        field.errors.append(hidden)
        return
    link = url_for("entities.show", entity_id=duplicate.id)
    field.errors.append(
        Markup(
            escape(message)
            + Markup('<a href="{}">{}（{}）</a>').format(
                link, duplicate.name, duplicate.village.name
            )
        )
    )


def _duplicate_error(form: EntityForm, entity: AgriEntity | None) -> bool:
    exclude = entity.id if entity else None
    if form.uscc.data:
        duplicate = find_entity_by_uscc(form.uscc.data, exclude)
        if duplicate is not None:
            _link_error(
                form.uscc,
                _("该统一社会信用代码已有档案："),
                duplicate,
                _("该统一社会信用代码已在本平台建档，请联系信用办"),
            )
            return True
        return False
    if form.operator_id_number.data:
        duplicate = find_unregistered_by_operator_id(
            id_cipher(), form.village_code.data[:6], form.operator_id_number.data, exclude
        )
        if duplicate is not None:
            _link_error(
                form.operator_id_number,
                _("本县已有该经营者的无代码主体档案："),
                duplicate,
                _("该证件号码已在本县建档，请联系信用办"),
            )
            return True
    return False


def _save(form: EntityForm, entity: AgriEntity | None) -> AgriEntity | None:
    """Save and commit, or None when the village is outside the user's scope or another
    request registered the same USCC in the meantime (the unique constraint catches it)."""
    if not region_in_scope(form.village_code.data, current_user):
        form.village_code.errors.append(_("只能在您负责的村建立档案"))
        return None
    target = entity or AgriEntity()
    try:
        save_entity(target, form.data, id_cipher(), current_user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.uscc.errors.append(_("该统一社会信用代码已有档案，请刷新后核对"))
        return None
    return target


def _render_form(form: EntityForm, entity: AgriEntity | None, conflict: list | None = None):
    if request.method == "POST" and conflict is None:
        flash(_("表单有误，请按红色提示修改后再保存"), "danger")
    return render_template(
        "entities/form.html",
        form=form,
        entity=entity,
        record_template=record_row_template(),
        conflict=conflict,
        **_labels(),
    )


def _stale_edit(form: EntityForm, entity: AgriEntity) -> list:
    """Another save came first: keep what the cadre typed, move the form onto the current
    version, and return the changes made since she opened it, to show her."""
    db.session.rollback()
    events = changes_since("entity", entity.id, parse_version(form.version.data) or 0)
    current = form_data_for(entity)
    mark_clashes(form, rebase_plain_fields(form, events, current), current)
    form.version.data = str(entity.version)
    flash(str(STALE_EDIT_MESSAGE), "warning")
    return events


def _start_from_file_request(form: EntityForm, request_id: int) -> None:
    """为此统一社会信用代码建档: the form opens with the code (and the name the department
    gave) of an office's request to this village; a 93… code is a cooperative's."""
    found = open_request_or_none(request_id, current_user, kind="entity")
    if found is None:
        abort(404)
    file_request, key = found
    form.village_code.data = file_request.village_code
    form.uscc.data = key.uscc
    form.name.data = form.name.data or key.name
    if key.uscc.startswith(COOPERATIVE_USCC_PREFIX):
        form.entity_type.data = EntityType.COOPERATIVE.value


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def create():
    form = _build_form(None)
    if request.method == "GET" and (request_id := id_arg("file_request")):
        _start_from_file_request(form, request_id)
    if form.validate_on_submit() and not _duplicate_error(form, None):
        entity = _save(form, None)
        if entity:
            flash(_("已建立 %(name)s 的信用档案", name=entity.name), "success")
            return redirect(url_for("entities.show", entity_id=entity.id))
    return _render_form(form, None)


@bp.route("/<int:entity_id>")
@roles_required(*FILE_KEEPERS)
def show(entity_id: int):
    entity = entity_or_404(entity_id, current_user)
    # The file holds revenue, assets and debts: sensitive data whose every viewing is logged.
    record_event("entity.view", "entity", entity.id, "查看经营主体档案：" + entity.name)
    revealed = {}
    if (
        current_user.can(Permission.REVEAL_ID)
        and (reason := take_grant("entity", entity.id)) is not None
    ):
        revealed = reveal_operator_id(entity, id_cipher(), current_user, reason)
    panels = file_panels("entity", entity.id, current_user)
    db.session.commit()
    return _render_file(entity, revealed, panels)


def _render_file(
    entity: AgriEntity,
    revealed: dict[str, str],
    panels: list,
    reveal_form: RevealForm | None = None,
):
    """The file page with its departmental records; expired negatives are left out."""
    today = clock.today()
    grade = grades_now("entity", [entity.id], today).get(entity.id, (entity.credit_grade,))[0]
    return render_template(
        "entities/show.html",
        entity=entity,
        grade=grade,
        revealed=revealed,
        credit_records=credit_records_in_use("entity", entity.id, today),
        departmental=subject_records("entity", entity.id, today),
        ratings=subject_ratings("entity", entity.id, today),
        panels=panels,
        reveal_form=reveal_form or RevealForm(formdata=None),
    )


@bp.route("/<int:entity_id>/reveal", methods=["POST"])
@permission_required(Permission.REVEAL_ID)
def reveal(entity_id: int):
    """Asks with a reason, then shows the number on the file page (redirect after POST)."""
    entity = entity_or_404(entity_id, current_user)
    form = RevealForm()
    if not form.validate_on_submit():
        panels = file_panels("entity", entity.id, current_user)
        db.session.commit()
        return _render_file(entity, {}, panels, form), 400
    grant("entity", entity.id, form.reason.data.strip())
    return redirect(url_for("entities.show", entity_id=entity.id))


@bp.route("/<int:entity_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def edit(entity_id: int):
    entity = entity_or_404(entity_id, current_user)
    form = _build_form(entity)
    try:
        if form.validate_on_submit() and not _duplicate_error(form, entity) and _save(form, entity):
            flash(_("档案已保存"), "success")
            return redirect(url_for("entities.show", entity_id=entity.id))
    except StaleEdit:
        return _render_form(form, entity, _stale_edit(form, entity))
    return _render_form(form, entity)


@bp.route("/<int:entity_id>/history")
@roles_required(*FILE_KEEPERS)
def file_history(entity_id: int):
    entity = entity_or_404(entity_id, current_user)
    return render_template(
        "entities/history.html", entity=entity, events=journal_of("entity", entity.id), **_labels()
    )


def _labels() -> dict:
    """The journal stores codes (type, polarity, village) so it stays exact; show their names."""
    return {
        "change_lines": change_lines,
        "field_labels": field_labels(),
        "value_labels": {
            **dict(ENTITY_TYPES),
            **dict(RECORD_POLARITIES),
            **{v.code: v.name for v in villages_in_scope(current_user)},
        },
    }
