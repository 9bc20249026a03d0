"""Rating run pages: the list of runs, starting one, a run's summary with its township and
village ratings, a village's household and entity results, and one result's breakdown.

Credit offices start and re-run; cadres see their village's part. Every page shows only the
part of a run inside the user's scope: a county run is listed for a township office and a
cadre, with their own township or village in it; anything else is a 404."""

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from agri_credit.audit import record_event
from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.auth.scopes import in_scope
from agri_credit.ratings.figures import Comparison
from agri_credit.ratings.rules import (
    COUNTY,
    METRIC_LABELS,
    MISSING_CHOICES,
    TOWNSHIP,
    VILLAGE,
    Indicator,
    RatingRules,
)
from agri_credit.url_arguments import page_number
from models import (
    ENTITY_TYPE_LABELS,
    RERATE_CAUSE_LABELS,
    RESULT_STATUS_LABELS,
    RUN_STATUS_LABELS,
    AgriEntity,
    EntityType,
    Household,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    Role,
    RuleSet,
    RunStatus,
    User,
    clock,
    db,
)

from .. import bp
from ..access import result_or_404, run_or_404, village_or_404
from ..publication.services import status_now, statuses_now
from ..rulesets.services import readable_rules, rules_of, shown_readings
from .breakdown import breakdown_chart, breakdown_rows
from .forms import RerateForm, RerunForm, RunForm
from .services import (
    RunRefused,
    may_rerate,
    may_start_runs,
    rerate_after_correction,
    reratings_of,
    rerun,
    rule_set_applies,
    run_regions,
    runs_for,
    start_run,
    usable_rule_sets,
)

GRADE_FILTERS = ("AAA", "AA", "A", "none")
SORTS = {
    "-score": (RatingResult.score.desc(), RatingResult.id),
    "score": (RatingResult.score, RatingResult.id),
    "name": (func.coalesce(Household.head_name, AgriEntity.name), RatingResult.id),
}
# The metrics shown in the area tables, in this order.
VILLAGE_METRICS = (
    "credit_household_share",
    "borrowers_not_overdue_share",
    "npl_ratio",
    "new_npl_ratio",
    "file_coverage",
)
TOWNSHIP_METRICS = (
    "credit_village_share",
    "credit_household_share",
    "borrowers_not_overdue_share",
    "npl_ratio",
)


# ---- access --------------------------------------------------------------------------------


def _covers(run: RatingRun, user: User) -> bool:
    """The whole run lies in the user's scope (not just her part of it)."""
    return user.scope.contains(run.region_code)


def _may_rerun(run: RatingRun, user: User) -> bool:
    return may_start_runs(user) and _covers(run, user) and run.status != RunStatus.SUPERSEDED


def _regions(codes: set[str]) -> dict[str, Region]:
    if not codes:
        return {}
    return {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}


@dataclass(frozen=True)
class Figures:
    """The headline figures of a run as one user may see them: the whole run's when it lies
    in her scope, else those of her own township or village in it."""

    households: int | None
    credit_households: int | None
    credit_share: float | None
    entities: int | None
    credit_entities: int | None
    villages: tuple[int, int] | None  # (credit villages, villages)
    townships: tuple[int, int] | None
    county_passed: bool | None
    whole_run: bool


def _figures(run: RatingRun, user: User, own: RegionRating | None = None) -> Figures:
    summary = run.summary or {}
    if _covers(run, user):
        households = summary.get("household", {})
        entities = summary.get("entity", {})
        regions = summary.get("regions", {})
        county = regions.get(RegionLevel.COUNTY.value, {})
        return Figures(
            households=households.get("total"),
            credit_households=households.get("credit"),
            credit_share=households.get("credit_share"),
            entities=entities.get("total"),
            credit_entities=entities.get("credit"),
            villages=_pair(regions.get(RegionLevel.VILLAGE.value)),
            townships=_pair(regions.get(RegionLevel.TOWNSHIP.value)),
            county_passed=bool(county.get("passed")) if county.get("total") else None,
            whole_run=True,
        )
    own = own or db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == user.scope_code
        )
    )
    metrics = own.metrics if own else {}
    villages = None
    if own is not None and own.level == RegionLevel.TOWNSHIP:
        villages = (metrics.get("credit_villages") or 0, metrics.get("villages") or 0)
    return Figures(
        households=metrics.get("households"),
        credit_households=metrics.get("credit_households"),
        credit_share=metrics.get("credit_household_share"),
        entities=None,
        credit_entities=None,
        villages=villages,
        townships=None,
        county_passed=None,
        whole_run=False,
    )


def _pair(counts: dict[str, int] | None) -> tuple[int, int] | None:
    if not counts or not counts.get("total"):
        return None
    return counts.get("passed", 0), counts["total"]


# ---- list and start ------------------------------------------------------------------------


@bp.route("/runs/")
@roles_required(*FILE_KEEPERS)
def run_list():
    page = db.paginate(
        runs_for(current_user),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    regions = _regions({r.region_code for r in page.items})
    own = {
        r.run_id: r
        for r in db.session.scalars(
            select(RegionRating).where(
                RegionRating.run_id.in_([r.id for r in page.items]),
                RegionRating.region_code == current_user.scope_code,
            )
        )
    }
    return render_template(
        "ratings/runs/index.html",
        page=page,
        regions=regions,
        figures={r.id: _figures(r, current_user, own.get(r.id)) for r in page.items},
        status_labels=RUN_STATUS_LABELS,
        may_start=may_start_runs(current_user),
    )


def _rule_set_choices(regions: list[Region]) -> list[tuple[int, str]]:
    seen: dict[int, RuleSet] = {}
    for region in regions:
        for rule_set in usable_rule_sets(region):
            seen.setdefault(rule_set.id, rule_set)
    return [(r.id, f"{r.name}（第{r.version}版）") for r in seen.values()]


@bp.route("/runs/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def run_new():
    if not may_start_runs(current_user):
        abort(403)
    regions = run_regions(current_user)
    form = RunForm()
    form.region.choices = [(r.code, r.name) for r in regions]
    form.rule_set.choices = _rule_set_choices(regions)
    if request.method == "GET":
        today = clock.today()
        form.year.data = today.year
        form.as_of.data = today
        form.region.data = current_user.scope_code
    if form.validate_on_submit():
        # One run per region and year awaits approval: a second submit (a double click, a
        # second tab) lands on the first run, where 重新评定 runs it again on purpose.
        proposed = select(RatingRun.id).where(
            RatingRun.region_code == form.region.data,
            RatingRun.year == form.year.data,
            RatingRun.status == RunStatus.PROPOSED,
        )
        existing = db.session.scalar(proposed)
        if existing is not None:
            flash(
                _("该地区本年度已有待审定的评定批次，已为您打开；如需重新评定，请点“重新评定”。"),
                "info",
            )
            return redirect(url_for("rating_cycle.run_show", run_id=existing))
        rule_set = db.session.get(RuleSet, form.rule_set.data)
        if rule_set is not None and not rule_set_applies(rule_set, form.region.data):
            form.rule_set.errors.append(_("该评定办法不适用于所选地区"))
        else:
            try:
                run = start_run(
                    form.region.data, form.year.data, form.as_of.data, rule_set, current_user
                )
            except RunRefused as refused:
                form.rule_set.errors.append(str(refused))
            except IntegrityError:
                existing = db.session.scalar(proposed)  # the racing submit's run won
                if existing is None:
                    raise
                flash(
                    _(
                        "该地区本年度已有待审定的评定批次，已为您打开；如需重新评定，请点“重新评定”。"
                    ),
                    "info",
                )
                return redirect(url_for("rating_cycle.run_show", run_id=existing))
            else:
                flash(_("评定完成：共评定 %(n)s 户（个）", n=_rated(run)), "success")
                return redirect(url_for("rating_cycle.run_show", run_id=run.id))
    return render_template("ratings/runs/new.html", form=form)


def _rated(run: RatingRun) -> int:
    summary = run.summary or {}
    return summary.get("household", {}).get("total", 0) + summary.get("entity", {}).get("total", 0)


@bp.route("/runs/<int:run_id>/rerun", methods=["POST"])
@roles_required(Role.OFFICE)
def run_rerun(run_id: int):
    run = run_or_404(run_id)
    if not _may_rerun(run, current_user):
        abort(403)
    try:
        new = rerun(run, current_user)
    except RunRefused as refused:
        flash(str(refused), "danger")
        return redirect(url_for("rating_cycle.run_show", run_id=run.id))
    except IntegrityError:
        # Two 重新评定 at once: the other one's run is the region and year's proposed run.
        winner = db.session.scalar(
            select(RatingRun.id).where(
                RatingRun.region_code == run.region_code,
                RatingRun.year == run.year,
                RatingRun.status == RunStatus.PROPOSED,
            )
        )
        if winner is None:
            raise
        flash(_("已有另一次重新评定完成，已为您打开其结果"), "info")
        return redirect(url_for("rating_cycle.run_show", run_id=winner))
    if new.input_digest == run.input_digest:
        flash(_("已重新评定：数据与上次相同，结果一致"), "success")
    else:
        flash(_("已重新评定：数据有变化，结果已更新"), "success")
    return redirect(url_for("rating_cycle.run_show", run_id=new.id))


# ---- one run -------------------------------------------------------------------------------


def _area_ratings(run: RatingRun, level: RegionLevel) -> list[RegionRating]:
    query = (
        select(RegionRating)
        .where(
            RegionRating.run_id == run.id,
            RegionRating.level == level,
            in_scope(RegionRating.region_code, current_user),
        )
        .order_by(RegionRating.region_code)
    )
    return list(db.session.scalars(query))


def _thresholds(run: RatingRun, level: str) -> dict[str, Comparison]:
    """The run's thresholds at `level` by metric: figures shown beside them agree with them."""
    return rules_of(run.rule_set).comparisons(level)


def _readings(run: RatingRun) -> list[tuple[str, str]]:
    """本次评定采用的口径: the readings of the run's rule set (none for one unreadable)."""
    rules = readable_rules(run.rule_set)
    return shown_readings(rules) if rules else []


@bp.route("/runs/<int:run_id>")
@roles_required(*FILE_KEEPERS)
def run_show(run_id: int):
    run = run_or_404(run_id)
    townships = _area_ratings(run, RegionLevel.TOWNSHIP)
    villages = _area_ratings(run, RegionLevel.VILLAGE)
    township_filter = request.args.get("township", "")
    if township_filter:
        villages = [v for v in villages if v.region_code[:9] == township_filter[:9]]
    passed_filter = request.args.get("passed", "")
    if passed_filter in ("0", "1"):
        villages = [v for v in villages if v.passed == (passed_filter == "1")]
    county = None
    if _covers(run, current_user):
        county = db.session.scalar(
            select(RegionRating).where(
                RegionRating.run_id == run.id, RegionRating.level == RegionLevel.COUNTY
            )
        )
    return render_template(
        "ratings/runs/show.html",
        run=run,
        region=db.session.get(Region, run.region_code),
        figures=_figures(run, current_user),
        county=county,
        townships=townships,
        villages=villages,
        regions=_regions({r.region_code for r in townships + villages}),
        township_filter=township_filter,
        passed_filter=passed_filter,
        metric_labels=METRIC_LABELS,
        village_metrics=VILLAGE_METRICS,
        township_metrics=TOWNSHIP_METRICS,
        village_thresholds=_thresholds(run, VILLAGE),
        township_thresholds=_thresholds(run, TOWNSHIP),
        county_thresholds=_thresholds(run, COUNTY),
        status_labels=RUN_STATUS_LABELS,
        missing_choices=MISSING_CHOICES,
        readings=_readings(run),
        may_rerun=_may_rerun(run, current_user),
        rerun_form=RerunForm(),
    )


@bp.route("/runs/<int:run_id>/villages/<code>")
@roles_required(*FILE_KEEPERS)
def run_village(run_id: int, code: str):
    run, rating = village_or_404(run_id, code)
    grade = request.args.get("grade", "")
    kind = request.args.get("kind", "")
    sort = request.args.get("sort", "-score")
    query = (
        select(RatingResult)
        .outerjoin(Household, Household.id == RatingResult.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == RatingResult.entity_id)
        .where(RatingResult.run_id == run.id, RatingResult.village_code == code)
    )
    if grade == "none":
        query = query.where(RatingResult.grade.is_(None))
    elif grade in GRADE_FILTERS:
        query = query.where(RatingResult.grade == grade)
    if kind == "household":
        query = query.where(RatingResult.household_id.is_not(None))
    elif kind == "entity":
        query = query.where(RatingResult.entity_id.is_not(None))
    query = query.order_by(*SORTS.get(sort, SORTS["-score"]))
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
    return render_template(
        "ratings/runs/village.html",
        run=run,
        rating=rating,
        village=db.session.get(Region, code),
        page=page,
        subjects=_subjects(page.items),
        statuses=statuses_now([r.id for r in page.items], clock.today()),
        grade=grade,
        kind=kind,
        sort=sort,
        grades=GRADE_FILTERS[:-1],
        metric_labels=METRIC_LABELS,
        village_metrics=VILLAGE_METRICS,
        village_thresholds=_thresholds(run, VILLAGE),
        result_status_labels=RESULT_STATUS_LABELS,
    )


@dataclass(frozen=True)
class Subject:
    name: str
    kind_label: str
    id_masked: str
    url: str


def _subjects(results: list[RatingResult]) -> dict[int, Subject]:
    """Name, kind and file link of each result's household or entity: two queries a page."""
    household_ids = [r.household_id for r in results if r.household_id is not None]
    entity_ids = [r.entity_id for r in results if r.entity_id is not None]
    households = {
        h.id: h
        for h in db.session.execute(
            select(Household.id, Household.head_name, Household.head_id_masked).where(
                Household.id.in_(household_ids)
            )
        )
    }
    entities = {
        e.id: e
        for e in db.session.execute(
            select(AgriEntity.id, AgriEntity.name, AgriEntity.entity_type).where(
                AgriEntity.id.in_(entity_ids)
            )
        )
    }
    subjects = {}
    for r in results:
        if r.household_id is not None and r.household_id in households:
            h = households[r.household_id]
            subjects[r.id] = Subject(
                h.head_name,
                _("农户"),
                h.head_id_masked,
                url_for("households.show", household_id=h.id),
            )
        elif r.entity_id in entities:
            e = entities[r.entity_id]
            subjects[r.id] = Subject(
                e.name,
                ENTITY_TYPE_LABELS.get(EntityType(e.entity_type), e.entity_type),
                "",
                url_for("entities.show", entity_id=e.id),
            )
    return subjects


# ---- one result ----------------------------------------------------------------------------


def _indicators(run: RatingRun, result: RatingResult) -> tuple[RatingRules, tuple[Indicator, ...]]:
    rules = rules_of(run.rule_set)
    if result.household_id is not None:
        return rules, rules.household_indicators
    entity_type = db.session.scalar(
        select(AgriEntity.entity_type).where(AgriEntity.id == result.entity_id)
    )
    return rules, rules.entity_indicators(entity_type or "")


@bp.route("/results/<int:result_id>")
@roles_required(*FILE_KEEPERS)
def result_show(result_id: int):
    result = result_or_404(result_id)
    return _result_page(result, run_or_404(result.run_id), RerateForm())


@bp.route("/results/<int:result_id>/rerate", methods=["POST"])
@roles_required(Role.OFFICE)
def result_rerate(result_id: int):
    result = result_or_404(result_id)
    run = run_or_404(result.run_id)
    form = RerateForm()
    if not form.validate_on_submit():
        return _result_page(result, run, form), 400
    try:
        rerating = rerate_after_correction(result, current_user, form.reason.data)
    except RunRefused as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return redirect(url_for("rating_cycle.result_show", result_id=result_id))
    db.session.commit()
    flash(
        _(
            "已重新评定：%(before)s → %(after)s",
            before=_score_text(rerating.score_before, rerating.grade_before),
            after=_score_text(rerating.score_after, rerating.grade_after),
        ),
        "success",
    )
    return redirect(url_for("rating_cycle.result_show", result_id=result_id))


def _score_text(score: Any, grade: str | None) -> str:
    return f"{score:g} {grade or _('未达信用户')}" if score is not None else "—"


def _result_page(result: RatingResult, run: RatingRun, form: RerateForm):
    rules, indicators = _indicators(run, result)
    rows = breakdown_rows(
        indicators, result.breakdown or {}, result.missing or "", result.indicator_values
    )
    subject = _subjects([result]).get(result.id)
    # A score and its breakdown describe a family's assets and income against the village:
    # each look is logged like a look at the file.
    record_event(
        "rating_result.view",
        "rating_result",
        result.id,
        "查看评定结果：" + (subject.name if subject else str(result.id)),
    )
    db.session.commit()
    return render_template(
        "ratings/runs/result.html",
        run=run,
        result=result,
        subject=subject,
        village=db.session.get(Region, result.village_code),
        rows=rows,
        chart=breakdown_chart(rows),
        grade_labels={b.grade: b.label for b in rules.grade_bands},
        notes=(run.summary or {}).get("notes", []),
        status=status_now(result, clock.today()),
        result_status_labels=RESULT_STATUS_LABELS,
        reratings=reratings_of(result),
        cause_labels=RERATE_CAUSE_LABELS,
        rerate_form=form if may_rerate(result, run, current_user) else None,
    )
