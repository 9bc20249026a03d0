from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError

from agri_credit.audit import journal_of, record_event
from agri_credit.auth.permissions import FILE_KEEPERS, permission_required, roles_required
from agri_credit.auth.scopes import enterprise_or_404, enterprises_in_scope, region_in_scope
from agri_credit.change_display import change_lines
from agri_credit.departmental.records import subject_records
from agri_credit.file_panels import file_panels
from agri_credit.file_versions import (
    STALE_EDIT_MESSAGE,
    StaleEdit,
    changes_since,
    mark_clashes,
    parse_version,
    rebase_plain_fields,
)
from agri_credit.url_arguments import page_number
from models import Enterprise, Permission, clock, db
from village_forms.enterprise_forms import INDUSTRY_SUGGESTIONS, EnterpriseForm, field_labels

from . import bp
from .services import (
    filter_enterprises,
    find_enterprise_by_uscc,
    find_entity_by_uscc,
    form_data_for,
    region_choices,
    save_enterprise,
)


@bp.route("/")
@roles_required(*FILE_KEEPERS)
def index():
    q = request.args.get("q", "").strip()
    query = filter_enterprises(enterprises_in_scope(current_user), q)
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    return render_template("enterprises/index.html", page=page, q=q)


def _build_form(enterprise: Enterprise | None) -> EnterpriseForm:
    form = EnterpriseForm(
        data=form_data_for(enterprise) if enterprise and request.method == "GET" else None
    )
    form.region_code.choices = region_choices(current_user)
    if enterprise is None and len(form.region_code.choices) == 1 and not form.region_code.data:
        form.region_code.data = form.region_code.choices[0][0]
    return form


def _duplicate_error(form: EnterpriseForm, enterprise: Enterprise | None) -> bool:
    """A USCC already filed, as an SME or as an agricultural entity: refuse, and link to it."""
    uscc = form.uscc.data or ""
    duplicate = find_enterprise_by_uscc(uscc, enterprise.id if enterprise else None)
    entity = find_entity_by_uscc(uscc) if duplicate is None else None
    held_in = duplicate.region_code if duplicate else entity.village_code if entity else None
    if held_in is not None and not region_in_scope(held_in, current_user):
        # Outside the user's scope the answer names no one: not which firm, not where.
        form.uscc.errors.append(_("该统一社会信用代码已在本平台建档，请联系信用办"))
        return True
    if duplicate is not None:
        link = url_for("enterprises.show", enterprise_id=duplicate.id)
        message, name, where = (
            _("该统一社会信用代码已有企业档案："),
            duplicate.name,
            duplicate.region.name,
        )
    elif entity is not None:
        link = url_for("entities.show", entity_id=entity.id)
        message, name, where = (
            _("该统一社会信用代码已登记为新型农业经营主体："),
            entity.name,
            entity.village.name,
        )
    else:
        return False
    form.uscc.errors.append(
        escape(message) + Markup('<a href="{}">{}（{}）</a>').format(link, name, where)
    )
    return True


def _save(form: EnterpriseForm, enterprise: Enterprise | None) -> Enterprise | None:
    """Save and commit, or None when the region is outside the user's scope or another
    request filed the same USCC in the meantime (the unique constraint catches it)."""
    if not region_in_scope(form.region_code.data, current_user):
        form.region_code.errors.append(_("只能在您负责的地区建立档案"))
        return None
    target = enterprise or Enterprise()
    try:
        save_enterprise(target, form.data, current_user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.uscc.errors.append(_("该统一社会信用代码已有档案，请刷新后核对"))
        return None
    return target


def _render_form(form: EnterpriseForm, enterprise: Enterprise | None, conflict: list | None = None):
    if request.method == "POST" and conflict is None:
        flash(_("表单有误，请按红色提示修改后再保存"), "danger")
    return render_template(
        "enterprises/form.html",
        form=form,
        enterprise=enterprise,
        industries=INDUSTRY_SUGGESTIONS,
        conflict=conflict,
        **_labels(),
    )


def _stale_edit(form: EnterpriseForm, enterprise: Enterprise) -> list:
    """Another save came first: keep what the user typed, move the form onto the current
    version, and return the changes made since it was opened, to show them."""
    db.session.rollback()
    events = changes_since("enterprise", enterprise.id, parse_version(form.version.data) or 0)
    current = form_data_for(enterprise)
    mark_clashes(form, rebase_plain_fields(form, events, current), current)
    form.version.data = str(enterprise.version)
    flash(str(STALE_EDIT_MESSAGE), "warning")
    return events


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def create():
    form = _build_form(None)
    if form.validate_on_submit() and not _duplicate_error(form, None):
        enterprise = _save(form, None)
        if enterprise:
            flash(_("已建立 %(name)s 的信用档案", name=enterprise.name), "success")
            return redirect(url_for("enterprises.show", enterprise_id=enterprise.id))
    return _render_form(form, None)


@bp.route("/<int:enterprise_id>")
@roles_required(*FILE_KEEPERS)
def show(enterprise_id: int):
    enterprise = enterprise_or_404(enterprise_id, current_user)
    # Tax paid, loans and penalties are sensitive: every viewing of the file is logged.
    record_event("enterprise.view", "enterprise", enterprise.id, "查看企业档案：" + enterprise.name)
    panels = file_panels("enterprise", enterprise.id, current_user)
    db.session.commit()
    return render_template(
        "enterprises/show.html",
        enterprise=enterprise,
        departmental=subject_records("enterprise", enterprise.id, clock.today()),
        panels=panels,
    )


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def edit(enterprise_id: int):
    enterprise = enterprise_or_404(enterprise_id, current_user)
    form = _build_form(enterprise)
    try:
        if (
            form.validate_on_submit()
            and not _duplicate_error(form, enterprise)
            and _save(form, enterprise)
        ):
            flash(_("档案已保存"), "success")
            return redirect(url_for("enterprises.show", enterprise_id=enterprise.id))
    except StaleEdit:
        return _render_form(form, enterprise, _stale_edit(form, enterprise))
    return _render_form(form, enterprise)


@bp.route("/<int:enterprise_id>/history")
@roles_required(*FILE_KEEPERS)
def file_history(enterprise_id: int):
    enterprise = enterprise_or_404(enterprise_id, current_user)
    return render_template(
        "enterprises/history.html",
        enterprise=enterprise,
        events=journal_of("enterprise", enterprise.id),
        **_labels(),
    )


def _labels() -> dict:
    return {
        "change_lines": change_lines,
        "field_labels": field_labels(),
        "value_labels": {code: name.strip() for code, name in region_choices(current_user)},
    }
