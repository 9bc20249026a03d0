from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from agri_credit.audit import journal_of, record_event
from agri_credit.auth.permissions import FILE_KEEPERS, permission_required, roles_required
from agri_credit.auth.scopes import (
    household_or_404,
    households_in_scope,
    region_in_scope,
    villages_in_scope,
)
from agri_credit.change_display import change_lines
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
from agri_credit.rating_cycle.publication.services import grades_now, household_grade_now
from agri_credit.rating_cycle.runs.subject_ratings import subject_ratings
from agri_credit.url_arguments import page_number
from models import Household, Permission, clock, db
from village_forms import household_fields as hf
from village_forms.household_forms import HouseholdForm, field_labels, row_templates
from village_forms.identifiers import id_number_error

from . import bp
from .services import (
    HouseholdFilters,
    filter_households,
    find_registration_of_id_number,
    form_data_for,
    member_counts,
    rebase_members,
    reveal_id_numbers,
    save_household,
)

GRADES = ("AAA", "AA", "A")


@bp.route("/")
@roles_required(*FILE_KEEPERS)
def index():
    today = clock.today()
    q = request.args.get("q", "").strip()
    filters = HouseholdFilters(
        q=q,
        id_hash=id_cipher().blind_index(q) if id_number_error(q) is None else "",
        village=request.args.get("village", ""),
        group=request.args.get("group", ""),
        grade=request.args.get("grade", ""),
        completeness=request.args.get("completeness", ""),
        missing=request.args.get("missing", ""),
        sort=request.args.get("sort", "name"),
    )
    # The list shows, filters and sorts by the grade effective today, computed in SQL: a 公示
    # that ended since the scheduled command last ran counts already.
    query = filter_households(
        households_in_scope(current_user), filters, grade=household_grade_now(today)
    )
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    counts = member_counts([h.id for h in page.items])
    pending = grades_now("household", [h.id for h in page.items], today)
    villages = villages_in_scope(current_user) if current_user.scope.level != "village" else []
    return render_template(
        "households/index.html",
        page=page,
        filters=filters,
        counts=counts,
        grades_now={h.id: pending.get(h.id, (h.credit_grade,))[0] for h in page.items},
        villages=villages,
        groups=hf.GROUPS,
        grades=GRADES,
    )


def _build_form(household: Household | None) -> HouseholdForm:
    form = HouseholdForm(
        data=form_data_for(household) if household and request.method == "GET" else None,
        require_head_id=household is None,
        stored_head=(household.head_gender, household.head_birth_date) if household else ("", None),
        stored_member_genders={str(m.id): m.gender for m in household.members} if household else {},
    )
    form.village_code.choices = [(v.code, v.name) for v in villages_in_scope(current_user)]
    if household is not None:
        _mark_stored_ids(form, household)
    if household is None and len(form.village_code.choices) == 1 and not form.village_code.data:
        form.village_code.data = form.village_code.choices[0][0]
    return form


def _mark_stored_ids(form: HouseholdForm, household: Household) -> None:
    """Stored member IDs are never sent back in full; show which one a blank keeps."""
    masked = {str(m.id): m.id_masked for m in household.members if m.id_masked}
    for entry in form.members:
        if entry.form.key.data in masked:
            entry.form.id_number.render_kw = {
                "autocomplete": "off",
                "placeholder": masked[entry.form.key.data] + _("（留空不变）"),
            }


def _stale_edit(form: HouseholdForm, household: Household) -> list:
    """Another save came first: keep what the cadre typed, move the form onto the current
    version (fields and members she left alone take their current values), and return the
    changes made since she opened it, to show her."""
    db.session.rollback()
    events = changes_since("household", household.id, parse_version(form.version.data) or 0)
    current = form_data_for(household)
    mark_clashes(form, rebase_plain_fields(form, events, current), current)
    rows = rebase_members(form.members.data, events, household)
    form.members.entries, form.members.last_index = [], -1
    for row in rows:
        form.members.append_entry(row)
    _mark_stored_ids(form, household)
    form.version.data = str(household.version)
    flash(str(STALE_EDIT_MESSAGE), "warning")
    return events


def _duplicate_error(form: HouseholdForm, household: Household | None) -> bool:
    """An ID number is registered once in a county, as a head or as a member. The other
    household is named, with a link, only when it is within the user's scope."""
    county = form.village_code.data[:6]
    exclude = household.id if household else None
    found = False
    head_id = (form.head_id_number.data or "").strip()
    if head_id:
        other = find_registration_of_id_number(id_cipher(), county, head_id, exclude)
        if other is not None:
            form.head_id_number.errors.append(_registered_message(*other, who=""))
            found = True
    for n, row in enumerate(form.members, start=1):
        id_number = (row.form.id_number.data or "").strip()
        if not id_number:
            continue
        other = find_registration_of_id_number(id_cipher(), county, id_number, exclude)
        if other is not None:
            who = _("第%(n)d位成员（%(name)s）身份证号：", n=n, name=row.form.name.data or "")
            row.form.id_number.errors.append(_registered_message(*other, who=who))
            found = True
    return found


def _registered_message(other: Household, role: str, who: str) -> Markup:
    if not region_in_scope(other.village_code, current_user):
        return escape(who) + escape(_("该证件号码已在本县建档，请联系信用办"))
    message = (
        _("本县已有该身份证号的农户档案：")
        if role == "head"
        else _("该证件号码已登记为本县另一农户的家庭成员：")
    )
    link = url_for("households.show", household_id=other.id)
    return (
        escape(who)
        + escape(message)
        + Markup('<a href="{}">{}（{}）</a>').format(link, other.head_name, other.village.name)
    )


def _save(form: HouseholdForm, household: Household | None):
    if not region_in_scope(form.village_code.data, current_user):
        return None
    target = household or Household()
    save_household(target, form.data, id_cipher(), current_user)
    db.session.commit()
    return target


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def create():
    form = _build_form(None)
    if form.validate_on_submit() and not _duplicate_error(form, None):
        household = _save(form, None)
        if household:
            flash(_("已建立 %(name)s 的信用档案", name=household.head_name), "success")
            return redirect(url_for("households.show", household_id=household.id))
    elif request.method == "POST":
        flash(_("表单有误，请按红色提示修改后再保存"), "danger")
    return render_template(
        "households/form.html", form=form, household=None, templates=row_templates()
    )


@bp.route("/<int:household_id>")
@roles_required(*FILE_KEEPERS)
def show(household_id: int):
    household = household_or_404(household_id, current_user)
    # The file holds income, deposits and debts: sensitive data whose every viewing is logged.
    record_event(
        "household.view", "household", household.id, "查看农户档案：" + household.head_name
    )
    panels = file_panels("household", household.id, current_user)
    db.session.commit()
    return _render_file(household, revealed={}, panels=panels)


def _render_file(household: Household, revealed: dict[str, str], panels: list):
    """The file page with its departmental records; expired negatives are left out."""
    today = clock.today()
    grade, year = grades_now("household", [household.id], today).get(
        household.id, (household.credit_grade, household.credit_grade_year)
    )
    return render_template(
        "households/show.html",
        household=household,
        grade=grade,
        grade_year=year,
        revealed=revealed,
        credit_records=credit_records_in_use("household", household.id, today),
        departmental=subject_records("household", household.id, today),
        ratings=subject_ratings("household", household.id, today),
        panels=panels,
    )


@bp.route("/<int:household_id>/reveal", methods=["POST"])
@permission_required(Permission.REVEAL_ID)
def reveal(household_id: int):
    household = household_or_404(household_id, current_user)
    revealed = reveal_id_numbers(household, id_cipher(), current_user)
    panels = file_panels("household", household.id, current_user)
    db.session.commit()
    return _render_file(household, revealed, panels)


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.EDIT_FILES)
def edit(household_id: int):
    household = household_or_404(household_id, current_user)
    form = _build_form(household)
    conflict = None
    if form.validate_on_submit() and not _duplicate_error(form, household):
        try:
            if _save(form, household):
                flash(_("档案已保存"), "success")
                return redirect(url_for("households.show", household_id=household.id))
        except StaleEdit:
            conflict = _stale_edit(form, household)
    elif request.method == "POST":
        flash(_("表单有误，请按红色提示修改后再保存"), "danger")
    return render_template(
        "households/form.html",
        form=form,
        household=household,
        templates=row_templates(),
        conflict=conflict,
        **_labels(),
    )


@bp.route("/<int:household_id>/history")
@roles_required(*FILE_KEEPERS)
def file_history(household_id: int):
    household = household_or_404(household_id, current_user)
    return render_template(
        "households/history.html",
        household=household,
        events=journal_of("household", household.id),
        **_labels(),
    )


def _labels() -> dict:
    """What the journal's field names and stored codes read as, for history and conflicts."""
    return {
        "change_lines": change_lines,
        "field_labels": field_labels(),
        "value_labels": {v.code: v.name for v in villages_in_scope(current_user)},
    }
