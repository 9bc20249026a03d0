"""Rule sets (评定办法) as a credit office manages them: versions of one named rule set, each
a draft until published and immutable from then on; a new version starts as a copy.

    rule_set = ensure_default_rule_set("610528000000")  # the shipped default, created once
    draft = copy_as_new_version(rule_set, user)          # 复制为新版本
    save_draft(draft, edited_rules, user)                # refused with Chinese reasons if invalid
    publish(draft, user)                                 # 发布: usable by runs, never edited again

The rules themselves are `agri_credit.ratings.rules` data; a row stores `to_dict()` in `body`.
Functions here flush; the caller commits with the request (or the seeding command).
"""

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import groupby

from flask_babel import gettext
from sqlalchemy import Select, event, func, inspect, or_, select
from sqlalchemy.exc import IntegrityError

from agri_credit.audit import record_event
from agri_credit.auth.scopes import in_scope
from agri_credit.config import DefaultConfig
from agri_credit.rating_cycle.second_person import own_work, rule_set_authors
from agri_credit.ratings import inputs
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.departmental_rules import EXAMPLE_NOTE, departmental_example_rule_set
from agri_credit.ratings.rules import (
    AVERAGE_OVER_CHOICES,
    BANDS,
    CATEGORY,
    FLAG,
    LABOUR_CHOICES,
    LEVEL_LABELS,
    METHODS,
    MISSING_CHOICES,
    NEW_NPL_WINDOW_CHOICES,
    PERCENT_DECIMALS_CHOICES,
    RELATIVE,
    SHARE_OVER_CHOICES,
    Band,
    Indicator,
    RatingRules,
    RuleSetFormatError,
    Threshold,
    fmt,
    validate,
)
from models import (
    ENTITY_TYPE_LABELS,
    LOAN_STATUS_LABELS,
    N_,
    Region,
    RegionLevel,
    Role,
    RuleSet,
    RuleSetStatus,
    User,
    ancestor_codes,
    db,
    today,
    utcnow,
)

# The edition a title names, as in 富平县农户信用等级评定办法（2026年版）.
EDITION = re.compile(r"（\d{4}年版）")
# The shipped rule set's name as an office sees it in lists and on reports.
DEFAULT_NOTE = N_(
    "系统自带的默认评定办法：农户百分制评分表，信用户、信用村、信用乡镇按通行标准评定。"
)
STATUS_LABELS = {RuleSetStatus.DRAFT: N_("草稿"), RuleSetStatus.PUBLISHED: N_("已发布")}
# Fields of a row that say what the rules are; none of them changes once published.
_CONTENT = ("body", "name", "version", "scope_code", "based_on_id")


class RuleSetRefused(ValueError):
    """The change cannot be made; `messages` are the Chinese reasons to show."""

    def __init__(self, *messages: str) -> None:
        super().__init__("；".join(messages))
        self.messages = list(messages)


# ---- who sees and who manages ----------------------------------------------------------------


def may_manage(user: User, rule_set: RuleSet | None = None) -> bool:
    """Only a county-level credit office makes rule sets, for its own county."""
    if user.role != Role.OFFICE or user.scope.level != RegionLevel.COUNTY:
        return False
    return rule_set is None or user.scope.contains(rule_set.scope_code)


def visible_rule_sets(user: User) -> Select[tuple[RuleSet]]:
    """Rule sets made in the user's subtree, and those of the offices above that apply to
    it (a township office reads its county's)."""
    return select(RuleSet).where(
        or_(
            in_scope(RuleSet.scope_code, user),
            RuleSet.scope_code.in_(ancestor_codes(user.scope_code)),
        )
    )


def rule_set_in_scope(rule_set_id: int, user: User) -> RuleSet | None:
    return db.session.scalar(visible_rule_sets(user).where(RuleSet.id == rule_set_id))


def county_of(code: str) -> str | None:
    """The county code above (or at) a code, when that county exists."""
    county = code[:6] + "000000"
    region = db.session.get(Region, county)
    return county if region is not None and region.level == RegionLevel.COUNTY else None


@dataclass
class Lineage:
    """All versions of one named rule set of one office, newest first."""

    name: str
    scope_code: str
    versions: list[RuleSet] = field(default_factory=list)

    @property
    def latest_published(self) -> RuleSet | None:
        return next((v for v in self.versions if v.published), None)


def lineages(user: User) -> list[Lineage]:
    rows = db.session.scalars(
        visible_rule_sets(user).order_by(
            RuleSet.scope_code, RuleSet.name, RuleSet.version.desc(), RuleSet.id.desc()
        )
    ).all()
    return [
        Lineage(name, scope, list(versions))
        for (scope, name), versions in groupby(rows, key=lambda r: (r.scope_code, r.name))
    ]


# ---- the shipped default ---------------------------------------------------------------------


def title_for_year(title: str, county_name: str, year: int) -> str:
    """The title a version of `year` cites: the given title with its edition year moved to
    `year`, or the county's 农户信用等级评定办法 of that year when there is none."""
    if not title:
        return f"{county_name}农户信用等级评定办法（{year}年版）"
    return EDITION.sub(f"（{year}年版）", title)


def _county_name(scope_code: str) -> str:
    region = db.session.get(Region, scope_code)
    return region.name if region else ""


def ensure_default_rule_set(scope_code: str, user: User | None = None) -> RuleSet:
    """The default rule set of DOMAIN.md, published as version 1 for the office of
    `scope_code` (a county) the first time it has no rule set at all; afterwards nothing is
    created. Returns that office's newest published rule set (the default just created, or
    the one it has published since). Flushes; the caller commits."""
    if db.session.get(Region, scope_code) is None:
        raise RuleSetRefused(f"地区 {scope_code} 不存在")
    has_any = db.session.scalar(
        select(func.count()).select_from(RuleSet).where(RuleSet.scope_code == scope_code)
    )
    if not has_any:
        rules = default_rule_set()
        row = RuleSet(
            name=rules.name,
            title=title_for_year("", _county_name(scope_code), today().year),
            version=1,
            status=RuleSetStatus.PUBLISHED,
            scope_code=scope_code,
            body=rules.to_dict(),
            notes=DEFAULT_NOTE,
            created_by_id=user.id if user else None,
            published_by_id=user.id if user else None,
            published_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
            return row
        except IntegrityError:
            pass  # another request of the same office created it first: use theirs
    newest = db.session.scalar(
        select(RuleSet)
        .where(RuleSet.scope_code == scope_code, RuleSet.status == RuleSetStatus.PUBLISHED)
        .order_by(RuleSet.published_at.desc(), RuleSet.id.desc())
        .limit(1)
    )
    if newest is None:  # every rule set of the office is a draft
        newest = db.session.scalar(
            select(RuleSet).where(RuleSet.scope_code == scope_code).order_by(RuleSet.id).limit(1)
        )
    return newest


def ensure_example_rule_set(scope_code: str, user: User | None = None) -> RuleSet:
    """The second example 评定办法 (ratings.departmental_rules: the default sheet with 10 of
    its household points on 水电气按时缴费率, 纳税信用等级 and 社保连续缴纳月数), published as
    version 1 of its own name for the office of `scope_code` unless it has one of that name
    already; returns the office's newest version of it. The default stays as it is.
    Flushes; the caller commits."""
    rules = departmental_example_rule_set()
    existing = db.session.scalar(
        select(RuleSet)
        .where(RuleSet.scope_code == scope_code, RuleSet.name == rules.name)
        .order_by(RuleSet.version.desc())
        .limit(1)
    )
    if existing is not None:
        return existing
    row = RuleSet(
        name=rules.name,
        title=f"{_county_name(scope_code)}{rules.name}",
        version=1,
        status=RuleSetStatus.PUBLISHED,
        scope_code=scope_code,
        body=rules.to_dict(),
        notes=EXAMPLE_NOTE,
        created_by_id=user.id if user else None,
        published_by_id=user.id if user else None,
        published_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


# ---- versions --------------------------------------------------------------------------------


def rules_of(rule_set: RuleSet) -> RatingRules:
    """The stored body as the engine's rules: the one way a rule set is read. A body that
    cannot be read is refused with its reason."""
    try:
        return RatingRules.from_dict(rule_set.body)
    except (RuleSetFormatError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise RuleSetRefused(f"评定办法「{rule_set.name}」无法读取：{error}") from error


def readable_rules(rule_set: RuleSet) -> RatingRules | None:
    """For pages showing a run's results: its rules, or None for a body that cannot be read
    (they fall back to raw indicator keys rather than fail)."""
    try:
        return rules_of(rule_set)
    except RuleSetRefused:
        return None


def _refuse_unless_manager(rule_set: RuleSet, user: User) -> None:
    if not may_manage(user, rule_set):
        raise RuleSetRefused("只有县级信用办可以管理本县的评定办法")


def _refuse_if_published(rule_set: RuleSet) -> None:
    if rule_set.published:
        raise RuleSetRefused(
            f"「{rule_set.name}」第 {rule_set.version} 版已发布，不能修改；"
            "如需调整，请复制为新版本后修改"
        )


def next_version(rule_set: RuleSet) -> int:
    latest = db.session.scalar(
        select(func.max(RuleSet.version)).where(
            RuleSet.scope_code == rule_set.scope_code, RuleSet.name == rule_set.name
        )
    )
    return (latest or 0) + 1


def copy_as_new_version(source: RuleSet, user: User) -> RuleSet:
    """A draft copy of any version, numbered after the newest version of its name."""
    _refuse_unless_manager(source, user)
    draft = RuleSet(
        name=source.name,
        title=title_for_year(source.title, _county_name(source.scope_code), today().year),
        version=next_version(source),
        status=RuleSetStatus.DRAFT,
        scope_code=source.scope_code,
        body=copy.deepcopy(source.body),
        based_on_id=source.id,
        notes=f"复制自第 {source.version} 版",
        created_by_id=user.id,
    )
    try:
        with db.session.begin_nested():  # a clash rolls back this insert only
            db.session.add(draft)
    except IntegrityError:
        # Someone else numbered a copy the same between our read and our write.
        raise RuleSetRefused(
            f"「{source.name}」第 {draft.version} 版刚刚由他人创建，请刷新页面后重试"
        ) from None
    record_event(
        "ruleset.copy",
        "rule_set",
        draft.id,
        f"评定办法「{draft.name}」复制第 {source.version} 版为第 {draft.version} 版（草稿）",
        user=user,
    )
    return draft


def save_draft(
    rule_set: RuleSet,
    rules: RatingRules,
    user: User,
    notes: str | None = None,
    title: str | None = None,
) -> None:
    """Store edited rules (and the title notices cite) in a draft; refused (nothing stored)
    when the version is published or the rules do not pass `validate`, with every reason."""
    _refuse_unless_manager(rule_set, user)
    _refuse_if_published(rule_set)
    rules = replace(rules, name=rule_set.name)  # the name belongs to the lineage
    problems = validate(rules)
    if title is not None and not title.strip():
        problems = [*problems, "请填写办法名称，公示和报告将引用它"]
    if problems:
        raise RuleSetRefused(*problems)
    before = rules_of(rule_set)
    rule_set.body = rules.to_dict()
    if notes is not None:
        rule_set.notes = notes
    if title is not None:
        rule_set.title = title.strip()
    db.session.flush()
    record_event(
        "ruleset.edit",
        "rule_set",
        rule_set.id,
        f"修改评定办法「{rule_set.name}」第 {rule_set.version} 版（草稿）",
        {c.item_path: [c.before, c.after] for c in diff_rules(before, rules)},
        user=user,
    )


def publish(
    rule_set: RuleSet, user: User, second_person: bool = DefaultConfig.SECOND_PERSON_APPROVAL
) -> None:
    """发布: the draft becomes usable for rating runs and is immutable from now on. Made by
    someone other than its drafters when `second_person` (config SECOND_PERSON_APPROVAL)."""
    _refuse_unless_manager(rule_set, user)
    if rule_set.published:
        raise RuleSetRefused(f"「{rule_set.name}」第 {rule_set.version} 版已经发布")
    if refusal := own_work(user, rule_set_authors(rule_set), "rule_set", second_person):
        raise RuleSetRefused(refusal)
    problems = validate(rules_of(rule_set))
    if problems:
        raise RuleSetRefused(*problems)
    rule_set.status = RuleSetStatus.PUBLISHED
    rule_set.published_by_id = user.id
    rule_set.published_at = utcnow()
    db.session.flush()
    record_event(
        "ruleset.publish",
        "rule_set",
        rule_set.id,
        f"发布评定办法「{rule_set.name}」第 {rule_set.version} 版",
        user=user,
    )


def delete_draft(rule_set: RuleSet, user: User) -> None:
    _refuse_unless_manager(rule_set, user)
    _refuse_if_published(rule_set)
    record_event(
        "ruleset.delete",
        "rule_set",
        rule_set.id,
        f"删除评定办法「{rule_set.name}」第 {rule_set.version} 版（草稿）",
        user=user,
    )
    # Drafts copied from this one keep their rules but lose the link.
    for child in db.session.scalars(select(RuleSet).where(RuleSet.based_on_id == rule_set.id)):
        child.based_on_id = None
    db.session.delete(rule_set)
    db.session.flush()


@event.listens_for(RuleSet, "before_update")
def _published_is_immutable(mapper, connection, target: RuleSet) -> None:
    """The last line of defence: whatever code path tries to change the content of a
    version that was already published when loaded fails before anything is written."""
    state = inspect(target)
    status = state.attrs.status.history
    was = (status.deleted or status.unchanged or [None])[0]
    if was != RuleSetStatus.PUBLISHED:
        return
    if any(state.attrs[name].history.has_changes() for name in _CONTENT):
        raise RuleSetRefused("已发布的评定办法不能修改")


@event.listens_for(RuleSet, "before_delete")
def _published_is_kept(mapper, connection, target: RuleSet) -> None:
    if target.status == RuleSetStatus.PUBLISHED:
        raise RuleSetRefused("已发布的评定办法不能删除")


# ---- reading rules as a person does ----------------------------------------------------------


def band_text(band: Band, method: str = BANDS) -> str:
    """A band as a cadre reads it; bands include their lower edge and exclude the upper."""
    unit = "倍" if method == RELATIVE else ""
    low, high = band.lower, band.upper
    if low is None and high is None:
        return "全部"
    if low is None:
        return f"低于 {fmt(high)}{unit}"
    if high is None:
        return f"{fmt(low)}{unit} 及以上"
    return f"{fmt(low)} – {fmt(high)}{unit}"


def bands_text(bands: Iterable[Band], method: str = BANDS) -> str:
    return "；".join(f"{band_text(b, method)}：{fmt(b.points)} 分" for b in bands)


def field_label(name: str) -> str:
    """The Chinese name of an input column an indicator reads."""
    column = inputs.household_fields().get(name) or inputs.entity_fields().get(name)
    return column.label if column else name


def indicator_text(ind: Indicator) -> str:
    """How an indicator scores, in one line."""
    if ind.method == CATEGORY:
        return "；".join(f"{value}：{fmt(points)} 分" for value, points in ind.categories)
    if ind.method == FLAG:
        return f"有：{fmt(ind.points)} 分；无：0 分"
    text = bands_text(ind.bands, ind.method)
    if ind.alt_field:
        alt = field_label(ind.alt_field)
        text += f"（或按{alt}：{bands_text(ind.alt_bands, ind.method)}，取高者）"
    return text


OP_TEXT = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜", "==": "＝", "!=": "≠", "true": ""}


def sheets(rules: RatingRules) -> list[tuple[str, tuple[Indicator, ...]]]:
    """(title, indicators) for households and then each entity type."""
    out = [("农户", rules.household_indicators)]
    for sheet in rules.entity_sheets:
        label = ENTITY_TYPE_LABELS.get(sheet.entity_type, sheet.entity_type)
        out.append((label, sheet.indicators))
    return out


def describe(rules: RatingRules) -> dict[tuple[str, str], str]:
    """Every setting of a rule set as {(section, item): text}: what a diff compares."""
    out: dict[tuple[str, str], str] = {}
    for title, indicators in sheets(rules):
        section = f"{title}评分指标"
        for ind in indicators:
            out[(section, f"{ind.label} 分值")] = f"{fmt(ind.points)} 分"
            out[(section, f"{ind.label} 计分")] = (
                f"{METHODS.get(ind.method, ind.method)}：{indicator_text(ind)}"
            )
            if ind.departmental:
                out[(section, f"{ind.label} 统计月数")] = f"{ind.lookback_months} 个月"
                out[(section, f"{ind.label} 无记录得分")] = f"{fmt(ind.missing_points)} 分"
                continue
            out[(section, f"{ind.label} 缺失数据")] = MISSING_CHOICES.get(
                ind.when_missing, ind.when_missing
            )
    for gate in rules.gates:
        value = (
            "" if gate.op == "true" else f"（{OP_TEXT.get(gate.op, gate.op)} {fmt(gate.value)}）"
        )
        out[("否决条件", gate.reason)] = f"启用{value}"
    for band in rules.grade_bands:
        out[("信用等级", f"{band.grade}（{band.label}）")] = f"{fmt(band.min_score)} 分及以上"
    for level in LEVEL_LABELS:
        for t in rules.thresholds(level):
            out[(f"{LEVEL_LABELS[level]}条件", t.label)] = threshold_text(t)
    records = rules.records
    out[("不良记录", "取消评定资格的类别")] = "、".join(records.disqualifying_categories) or "无"
    out[("不良记录", "追溯年限")] = f"{fmt(records.lookback_years)} 年"
    loans = rules.loans
    out[("贷款", "不良贷款分类")] = "、".join(
        LOAN_STATUS_LABELS.get(s, s) for s in loans.npl_statuses
    )
    out[("贷款", "新增不良统计期")] = f"{loans.new_npl_window_days} 天"
    out[("贷款", "逾期转为不良")] = f"{loans.npl_after_days_overdue} 天"
    out[("贷款", "还款记录追溯年限")] = f"{fmt(loans.repayment_lookback_years)} 年"
    for item, text in readings_text(rules):
        out[(READINGS_SECTION, item)] = text
    return out


READINGS_SECTION = N_("评定口径")
NOT_BINDING = N_("参考指标，不作为必备条件")


def threshold_text(t: Threshold) -> str:
    """ "≥ 90%", and whether missing it fails the area."""
    text = f"{OP_TEXT.get(t.op, t.op)} {fmt(t.value)}%"
    return text if t.binding else f"{text}（{NOT_BINDING}）"


def _edge_text(t: Threshold) -> str:
    """Whether a figure exactly on a "50%" threshold passes (at least half, or more than)."""
    return "恰好一半即达标" if t.op == ">=" else "须超过一半"


def readings_text(rules: RatingRules) -> list[tuple[str, str]]:
    """The readings a rule set chose where the published rules leave them open (what
    "本次评定采用的口径" lists on a run, and the diff compares), as (item, text)."""
    r = rules.readings
    years = r.evaluation_years
    evaluation = (
        N_("评定年度及以前最新一次（不限年限）")
        if not years
        else N_("仅评定当年")
        if years == 1
        else f"评定年度及之前 {years} 年内最新一次"
    )
    edges = "；".join(
        f"{LEVEL_LABELS[level]}·{t.label} {OP_TEXT.get(t.op, t.op)} 50%：{_edge_text(t)}"
        for level in LEVEL_LABELS
        for t in rules.thresholds(level)
        if t.op in (">=", ">") and t.value == 50
    )
    non_binding = "、".join(
        f"{LEVEL_LABELS[level]}·{t.label}"
        for level in LEVEL_LABELS
        for t in rules.thresholds(level)
        if not t.binding
    )
    rows = [
        (N_("村评议"), evaluation),
        (N_("劳动力人数"), LABOUR_CHOICES.get(r.labour, r.labour)),
        (N_("户均"), AVERAGE_OVER_CHOICES.get(r.average_over, r.average_over)),
        (N_("被否决农户计入户均"), N_("计入") if r.average_includes_gated else N_("不计入")),
        (N_("信用户占比"), SHARE_OVER_CHOICES.get(r.credit_share_over, r.credit_share_over)),
        (
            N_("新增不良统计期"),
            NEW_NPL_WINDOW_CHOICES.get(r.new_npl_window, r.new_npl_window),
        ),
        (
            N_("不良贷款率"),
            N_("计入经营主体贷款") if r.npl_includes_entities else N_("仅计农户贷款"),
        ),
        (
            N_("百分比比较"),
            PERCENT_DECIMALS_CHOICES.get(
                "" if r.percent_decimals is None else str(r.percent_decimals),
                str(r.percent_decimals),
            ),
        ),
        (N_("参考指标（不作为必备条件）"), non_binding or N_("无（各项条件均为必备）")),
    ]
    if edges:
        rows.append((N_("「50%」条件的边界"), edges))
    return rows


def shown_readings(rules: RatingRules) -> list[tuple[str, str]]:
    """`readings_text` in the user's language (gettext without %-formatting: the texts
    carry "%" signs, which a template's `_()` would try to format)."""
    return [(gettext(item), gettext(text)) for item, text in readings_text(rules)]


@dataclass(frozen=True)
class Change:
    section: str
    item: str
    before: str  # "" when the setting is new
    after: str  # "" when the setting was removed

    @property
    def item_path(self) -> str:
        return f"{self.section}·{self.item}"


def diff_rules(old: RatingRules, new: RatingRules) -> list[Change]:
    """What changed from `old` to `new`, setting by setting, in the order of `new`."""
    before, after = describe(old), describe(new)
    keys = list(after) + [k for k in before if k not in after]
    return [
        Change(section, item, before.get((section, item), ""), after.get((section, item), ""))
        for section, item in keys
        if before.get((section, item)) != after.get((section, item))
    ]


def status_label(rule_set: RuleSet) -> str:
    return STATUS_LABELS.get(RuleSetStatus(rule_set.status), rule_set.status)
