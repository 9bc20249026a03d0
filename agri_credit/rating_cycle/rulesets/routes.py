"""Rule set (评定办法) pages: the list with versions, one version in readable tables, copy as
a new version, edit a draft, publish, delete a draft, and what changed against the version
it was copied from. County credit offices manage; township offices read; nobody else."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import roles_required
from agri_credit.ratings.rules import LEVEL_LABELS, METHODS, MISSING_CHOICES, fmt
from agri_credit.url_arguments import id_arg
from models import Region, Role, RuleSet, db

from .. import bp
from ..second_person import own_work, rule_set_authors
from .forms import ActionForm, draft_form, problem_fields, rules_from_form
from .services import (
    OP_TEXT,
    RuleSetRefused,
    band_text,
    copy_as_new_version,
    county_of,
    delete_draft,
    diff_rules,
    ensure_default_rule_set,
    field_label,
    indicator_text,
    lineages,
    may_manage,
    publish,
    rule_set_in_scope,
    rules_of,
    save_draft,
    sheets,
    shown_readings,
    status_label,
)


def _rule_set_or_404(rule_set_id: int) -> RuleSet:
    rule_set = rule_set_in_scope(rule_set_id, current_user)
    if rule_set is None:
        abort(404)
    return rule_set


def _manage_or_403(rule_set: RuleSet) -> None:
    if not may_manage(current_user, rule_set):
        abort(403)


def _refused(error: RuleSetRefused) -> None:
    for message in error.messages:
        flash(message, "danger")


def _helpers() -> dict:
    return {
        "band_text": band_text,
        "field_label": field_label,
        "indicator_text": indicator_text,
        "fmt": fmt,
        "methods": METHODS,
        "missing_choices": MISSING_CHOICES,
        "op_text": OP_TEXT,
        "level_labels": LEVEL_LABELS,
        "status_label": status_label,
        "shown_readings": shown_readings,
    }


@bp.route("/rule-sets")
@roles_required(Role.OFFICE)
def rule_set_index():
    found = lineages(current_user)
    can_manage = may_manage(current_user)
    # Reading creates nothing: a county office without any rule set adopts the shipped
    # default with the button this shows (seed-demo adopts it for the demo county).
    needs_default = can_manage and not any(
        lineage.scope_code == current_user.scope_code for lineage in found
    )
    owners = {lineage.scope_code for lineage in found}
    return render_template(
        "ratings/rulesets/index.html",
        lineages=found,
        owner_names=dict(
            db.session.execute(
                select(Region.code, Region.name).where(Region.code.in_(owners))
            ).all()
        ),
        can_manage=can_manage,
        needs_default=needs_default,
        form=ActionForm(),
        **_helpers(),
    )


@bp.route("/rule-sets/default", methods=["POST"])
@roles_required(Role.OFFICE)
def rule_set_adopt_default():
    """The county office adopts the shipped default as version 1 of its rule sets."""
    if not may_manage(current_user):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    county = county_of(current_user.scope_code)
    if county is None:
        abort(404)
    rule_set = ensure_default_rule_set(county, current_user)
    db.session.commit()
    flash(_("已启用默认评定办法（第 %(version)s 版）", version=rule_set.version), "success")
    return redirect(url_for("rating_cycle.rule_set_index"))


@bp.route("/rule-sets/<int:rule_set_id>")
@roles_required(Role.OFFICE)
def rule_set_show(rule_set_id: int):
    rule_set = _rule_set_or_404(rule_set_id)
    try:
        rules = rules_of(rule_set)
    except RuleSetRefused as error:
        _refused(error)
        return redirect(url_for("rating_cycle.rule_set_index"))
    based_on = (
        rule_set_in_scope(rule_set.based_on_id, current_user) if rule_set.based_on_id else None
    )
    return render_template(
        "ratings/rulesets/show.html",
        rule_set=rule_set,
        rules=rules,
        sheets=sheets(rules),
        based_on=based_on,
        problems=rules.validate() if not rule_set.published else [],
        can_manage=may_manage(current_user, rule_set),
        publish_refusal=None
        if rule_set.published
        else own_work(
            current_user,
            rule_set_authors(rule_set),
            "rule_set",
            current_app.config["SECOND_PERSON_APPROVAL"],
        ),
        form=ActionForm(),
        **_helpers(),
    )


@bp.route("/rule-sets/<int:rule_set_id>/copy", methods=["POST"])
@roles_required(Role.OFFICE)
def rule_set_copy(rule_set_id: int):
    source = _rule_set_or_404(rule_set_id)
    _manage_or_403(source)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        draft = copy_as_new_version(source, current_user)
    except RuleSetRefused as error:
        db.session.rollback()
        _refused(error)
        return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=source.id))
    db.session.commit()
    flash(_("已复制为第 %(version)s 版（草稿），修改后请发布", version=draft.version), "success")
    return redirect(url_for("rating_cycle.rule_set_edit", rule_set_id=draft.id))


@bp.route("/rule-sets/<int:rule_set_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def rule_set_edit(rule_set_id: int):
    rule_set = _rule_set_or_404(rule_set_id)
    _manage_or_403(rule_set)
    if rule_set.published:
        flash(
            _(
                "「%(name)s」第 %(version)s 版已发布，不能修改；如需调整，请复制为新版本后修改",
                name=rule_set.name,
                version=rule_set.version,
            ),
            "warning",
        )
        return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))
    try:
        rules = rules_of(rule_set)
    except RuleSetRefused as error:
        _refused(error)
        return redirect(url_for("rating_cycle.rule_set_index"))
    form_class, layout, values = draft_form(rules, rule_set.notes, rule_set.cited_title)
    form = form_class(data=values)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            edited = rules_from_form(rules, layout, form.data)
            save_draft(
                rule_set,
                edited,
                current_user,
                notes=form.data[layout.notes],
                title=form.data[layout.title],
            )
        except RuleSetRefused as error:
            db.session.rollback()
            problems = error.messages
            # Each refusal also marks the fields it is about, as a form error does.
            for name, messages in problem_fields(layout, problems).items():
                form[name].errors = [*form[name].errors, *messages]
        else:
            db.session.commit()
            flash(_("草稿已保存；核对无误后请发布"), "success")
            return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))
    elif request.method == "POST":
        problems = [_("部分数值填写有误，请检查标红的栏目")]
    return render_template(
        "ratings/rulesets/edit.html",
        rule_set=rule_set,
        rules=rules,
        form=form,
        layout=layout,
        problems=problems,
        **_helpers(),
    )


@bp.route("/rule-sets/<int:rule_set_id>/publish", methods=["POST"])
@roles_required(Role.OFFICE)
def rule_set_publish(rule_set_id: int):
    rule_set = _rule_set_or_404(rule_set_id)
    _manage_or_403(rule_set)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        publish(rule_set, current_user, current_app.config["SECOND_PERSON_APPROVAL"])
    except RuleSetRefused as error:
        db.session.rollback()
        _refused(error)
    else:
        db.session.commit()
        flash(
            _("第 %(version)s 版已发布，可用于信用评定；此后不能再修改", version=rule_set.version),
            "success",
        )
    return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))


@bp.route("/rule-sets/<int:rule_set_id>/delete", methods=["POST"])
@roles_required(Role.OFFICE)
def rule_set_delete(rule_set_id: int):
    rule_set = _rule_set_or_404(rule_set_id)
    _manage_or_403(rule_set)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        delete_draft(rule_set, current_user)
    except RuleSetRefused as error:
        db.session.rollback()
        _refused(error)
        return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))
    db.session.commit()
    flash(_("草稿已删除"), "success")
    return redirect(url_for("rating_cycle.rule_set_index"))


@bp.route("/rule-sets/<int:rule_set_id>/diff")
@roles_required(Role.OFFICE)
def rule_set_diff(rule_set_id: int):
    rule_set = _rule_set_or_404(rule_set_id)
    against_id = id_arg("against") or rule_set.based_on_id
    if against_id is None:
        flash(_("这一版不是复制而来，没有可对比的版本"), "info")
        return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))
    against = _rule_set_or_404(against_id)
    try:
        changes = diff_rules(rules_of(against), rules_of(rule_set))
    except RuleSetRefused as error:
        _refused(error)
        return redirect(url_for("rating_cycle.rule_set_show", rule_set_id=rule_set.id))
    return render_template(
        "ratings/rulesets/diff.html",
        rule_set=rule_set,
        against=against,
        changes=changes,
        **_helpers(),
    )
