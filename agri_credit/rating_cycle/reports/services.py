"""Rating figures for the dashboard and the exports: grade distribution per village and per
township, the shares of 信用户, 信用村 and 信用乡镇, their course over the years (the 信用镇比率
a province tracks), and the villages closest to becoming 信用村 with what they still lack.

Everything is read with grouped SQL and shaped with pandas, limited to the user's scope:

    run = default_run(user)
    figures = run_figures(run, user)       # frames per village and township, totals
    closest = closest_villages(figures)    # villages that missed, least short first
    years = yearly_shares(user)            # one row per year, latest valid run of each
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from agri_credit.auth.scopes import in_scope
from agri_credit.ratings.figures import Comparison, percent_beside
from agri_credit.ratings.rules import (
    METRIC_LABELS,
    OVER_REGISTERED,
    RatingRules,
    Readings,
    Threshold,
    fmt,
)
from models import (
    N_,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RunStatus,
    User,
    ancestor_codes,
    db,
)

from ..rulesets.services import readable_rules
from ..runs.services import runs_for

UNGRADED = N_("未达标")  # scored below the lowest grade (translated where shown)
GATED = N_("一票否决")  # disqualified by a gate whatever the score
CREDIT_COLOURS = ("#1b7a3d", "#43a047", "#9ccc65", "#c5e1a5")
UNGRADED_COLOUR, GATED_COLOUR = "#b0bec5", "#e57373"
CLOSEST_LIMIT = 10


# ---- which runs a user may look at -----------------------------------------------------------


def _covering(user: User) -> list[str]:
    """Codes of regions whose runs cover the whole of the user's scope."""
    return [user.scope_code, *ancestor_codes(user.scope_code)]


def default_run(user: User, year: int | None = None) -> RatingRun | None:
    """The newest current run, preferring one that covers the whole scope."""
    query = runs_for(user).where(RatingRun.status != RunStatus.SUPERSEDED)
    if year is not None:
        query = query.where(RatingRun.year == year)
    covering = RatingRun.region_code.in_(_covering(user))
    return db.session.scalar(
        query.order_by(None)
        .order_by(
            RatingRun.year.desc(),
            case((covering, 0), else_=1),
            RatingRun.started_at.desc(),
            RatingRun.id.desc(),
        )
        .limit(1)
    )


# ---- figures of one run ----------------------------------------------------------------------


@dataclass
class RunFigures:
    run: RatingRun
    rules: RatingRules | None
    scope_name: str
    region_name: str
    grades: list[str]  # the run's grades, best first, then UNGRADED and GATED
    villages: pd.DataFrame  # one row per village of the run in scope
    townships: pd.DataFrame  # one row per township with villages in scope
    totals: dict[str, Any] = field(default_factory=dict)
    entity_grades: dict[str, int] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        return list((self.run.summary or {}).get("notes", []))

    def thresholds(self, level: str) -> dict[str, Comparison]:
        """The run's thresholds at `level` by metric, for showing figures beside them."""
        return self.rules.comparisons(level) if self.rules else {}


def _share(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or not whole:
        return None
    # Unrounded, like _share_column: rounded where shown, beside its threshold.
    return float(part) / float(whole) * 100


def _grade_order(rules: RatingRules | None, seen: list[str]) -> list[str]:
    grades = [b.grade for b in rules.grade_bands] if rules else []
    grades += sorted(g for g in seen if g not in grades and g not in (UNGRADED, GATED))
    return [*grades, UNGRADED, GATED]


def _grade_counts(run: RatingRun, user: User, households: bool) -> pd.DataFrame:
    """(village_code, category, n): households or entities per grade, the ungraded split
    into those below the lowest grade and those a gate disqualified."""
    gated = case((RatingResult.gate_reasons != "", 1), else_=0)
    subject = RatingResult.household_id if households else RatingResult.entity_id
    rows = db.session.execute(
        select(RatingResult.village_code, RatingResult.grade, gated, func.count())
        .where(
            RatingResult.run_id == run.id,
            subject.is_not(None),
            in_scope(RatingResult.village_code, user),
        )
        .group_by(RatingResult.village_code, RatingResult.grade, gated)
    ).all()
    frame = pd.DataFrame(rows, columns=["village_code", "grade", "gated", "n"])
    ungraded = np.where(frame["gated"].astype(int) > 0, GATED, UNGRADED)
    frame["category"] = frame["grade"].where(frame["grade"].notna(), pd.Series(ungraded))
    return frame[["village_code", "category", "n"]]


def _region_ratings(run: RatingRun, user: User) -> pd.DataFrame:
    rows = db.session.execute(
        select(
            RegionRating.region_code,
            RegionRating.level,
            RegionRating.passed,
            RegionRating.metrics,
            RegionRating.reasons,
            RegionRating.status,
        ).where(RegionRating.run_id == run.id, in_scope(RegionRating.region_code, user))
    ).all()
    return pd.DataFrame(
        rows, columns=["region_code", "level", "passed", "metrics", "reasons", "status"]
    )


def _names(codes: list[str]) -> pd.DataFrame:
    if not codes:
        return pd.DataFrame({"code": [], "name": [], "parent_code": []}, dtype="str")
    rows = db.session.execute(
        select(Region.code, Region.name, Region.parent_code).where(Region.code.in_(codes))
    ).all()
    return pd.DataFrame(rows, columns=["code", "name", "parent_code"])


def _metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """The stored metrics dicts as columns (NaN where a figure is missing)."""
    if frame.empty:
        return pd.DataFrame(index=frame.index)
    flat = pd.DataFrame.from_records([m or {} for m in frame["metrics"]], index=frame.index)
    return flat.apply(pd.to_numeric, errors="coerce") if len(flat.columns) else flat


def run_figures(run: RatingRun, user: User) -> RunFigures:
    rules = readable_rules(run.rule_set)
    counts = _grade_counts(run, user, households=True)
    ratings = _region_ratings(run, user)
    village_ratings = ratings[ratings["level"] == RegionLevel.VILLAGE].reset_index(drop=True)
    township_ratings = ratings[ratings["level"] == RegionLevel.TOWNSHIP].reset_index(drop=True)
    county_ratings = ratings[ratings["level"] == RegionLevel.COUNTY]

    village_codes = sorted(set(counts["village_code"]) | set(village_ratings["region_code"]))
    township_guess = [c[:9] + "000" for c in village_codes]
    names = _names(
        sorted(set(village_codes) | set(township_guess) | {run.region_code, user.scope_code})
    )
    name_of = dict(zip(names["code"], names["name"], strict=True))
    parent_of = dict(zip(names["code"], names["parent_code"], strict=True))

    grades = _grade_order(rules, sorted(set(counts["category"])))
    table = (
        counts.pivot_table(
            index="village_code", columns="category", values="n", aggfunc="sum", fill_value=0
        )
        .reindex(index=village_codes, columns=grades, fill_value=0)
        .astype(np.int64)
    )
    villages = table.reset_index().rename(columns={"index": "village_code"})
    villages["village_name"] = (
        villages["village_code"].map(name_of).fillna(villages["village_code"])
    )
    villages["township_code"] = [
        parent_of.get(code) or code[:9] + "000" for code in villages["village_code"]
    ]
    villages["township_name"] = villages["township_code"].map(name_of).fillna("")
    credit_grades = [g for g in grades if g not in (UNGRADED, GATED)]
    villages["households"] = villages[grades].sum(axis=1)
    villages["credit_households"] = villages[credit_grades].sum(axis=1)
    rated = village_ratings.join(_metrics(village_ratings))
    rated = rated.rename(columns={"region_code": "village_code"}).drop(columns=["level"])
    # Counts come from the results above; the stored metrics repeat some of them.
    rated = rated.drop(columns=[c for c in rated if c in villages and c != "village_code"])
    villages = villages.merge(rated, on="village_code", how="left")
    villages["credit_share"] = _credit_share(villages, rules)
    villages = villages.sort_values(["township_code", "village_code"], ignore_index=True)

    townships = _township_frame(villages, grades, township_ratings, name_of, rules)
    # A village cadre sees her village, not a township figure made of it alone.
    townships = townships[townships["township_code"].map(user.scope.contains).astype(bool)]
    townships = townships.reset_index(drop=True)

    county_row = county_ratings.iloc[0] if len(county_ratings) else None
    n_villages = int(villages["passed"].notna().sum())
    n_townships = int(townships["passed"].notna().sum()) if len(townships) else 0
    households = int(villages["households"].sum())
    credit = int(villages["credit_households"].sum())
    credit_villages = int((villages["passed"] == True).sum())  # noqa: E712 (NaN-safe)
    credit_townships = int((townships["passed"] == True).sum()) if len(townships) else 0  # noqa: E712
    totals = {
        "households": households,
        "credit_households": credit,
        "credit_household_share": _share(credit, households),
        "villages": n_villages,
        "credit_villages": credit_villages,
        "credit_village_share": _share(credit_villages, n_villages),
        "townships": n_townships,
        "credit_townships": credit_townships,
        "credit_township_share": _share(credit_townships, n_townships),
        "county_passed": None if county_row is None else bool(county_row["passed"]),
        "county_reasons": [] if county_row is None else list(county_row["reasons"] or []),
    }
    entity_counts = _grade_counts(run, user, households=False)
    entity_grades = entity_counts.groupby("category")["n"].sum().astype(int).to_dict()
    totals["entities"] = int(sum(entity_grades.values()))
    totals["credit_entities"] = int(
        sum(n for g, n in entity_grades.items() if g not in (UNGRADED, GATED))
    )
    return RunFigures(
        run=run,
        rules=rules,
        scope_name=name_of.get(user.scope_code, user.scope_code),
        region_name=name_of.get(run.region_code, run.region_code),
        grades=grades,
        villages=villages,
        townships=townships,
        totals=totals,
        entity_grades={g: int(entity_grades.get(g, 0)) for g in grades if entity_grades.get(g)},
    )


def _share_column(part: pd.Series, whole: pd.Series) -> pd.Series:
    # Unrounded: the figure is rounded where it is shown, beside the threshold it is judged
    # against (ratings.figures), so 89.96 % never reads as 90.0 % beside "未达标".
    whole = whole.astype(np.float64)
    return part.astype(np.float64) / whole.where(whole > 0) * 100


def _credit_share(frame: pd.DataFrame, rules: RatingRules | None) -> pd.Series:
    """信用户占比 over the files, or over 户籍户数 when the rule set reads it so (as the run
    judged it)."""
    over = "households"
    if rules is not None and rules.readings.credit_share_over == OVER_REGISTERED:
        over = "registered_households"
    if over not in frame:
        return pd.Series(np.nan, index=frame.index)
    return _share_column(frame["credit_households"], frame[over])


def _township_frame(
    villages: pd.DataFrame,
    grades: list[str],
    ratings: pd.DataFrame,
    name_of: dict[str, str],
    rules: RatingRules | None,
) -> pd.DataFrame:
    grouped = villages.groupby("township_code", sort=True)
    frame = grouped[[*grades, "households", "credit_households"]].sum()
    frame["village_count"] = grouped.size()
    credit_village = (villages["passed"] == True).astype(np.int64)  # noqa: E712 (NaN-safe)
    frame["credit_village_count"] = credit_village.groupby(villages["township_code"]).sum()
    frame = frame.reset_index()
    frame["township_name"] = frame["township_code"].map(name_of).fillna(frame["township_code"])
    rated = ratings.join(_metrics(ratings)).rename(columns={"region_code": "township_code"})
    rated = rated.drop(columns=["level"])
    rated = rated.drop(columns=[c for c in rated if c in frame and c != "township_code"])
    frame = frame.merge(rated, on="township_code", how="left")
    frame["credit_share"] = _credit_share(frame, rules)
    if "passed" not in frame:
        frame["passed"] = np.nan
    return frame


# ---- villages closest to 信用村 --------------------------------------------------------------


@dataclass
class CloseVillage:
    village_code: str
    village_name: str
    township_name: str
    credit_share: float | None
    missed: int
    shortfall: float  # percentage points over the thresholds missed; inf when unknown
    lacks: list[str]  # what it takes, in households or yuan where the figures allow
    reasons: list[str]  # as the run recorded them


def _failing_gap(values: pd.Series, t: Threshold) -> pd.Series:
    """Percentage points by which each value misses `t`; 0 when it passes, inf unknown."""
    v = values.astype(np.float64)
    if t.op in (">=", ">"):
        gap = t.value - v
        fails = v < t.value if t.op == ">=" else v <= t.value
    else:
        gap = v - t.value
        fails = v >= t.value if t.op == "<" else v > t.value
    gap = gap.where(fails, 0.0).clip(lower=0.0)
    # A value equal to a strict bound misses by the smallest step shown.
    gap = gap.where(~(fails & (gap == 0)), 0.05)
    return gap.where(v.notna(), math.inf)


def _need(target_share: float, whole: float, part: float, strict: bool) -> int:
    """How many more of `part` make part/whole reach the share (or pass it, if strict)."""
    needed = target_share / 100 * whole - part
    n = math.ceil(needed - 1e-9)
    if strict and math.isclose(needed, n):
        n += 1
    return max(n, 1)


def _lack(t: Threshold, m: dict[str, Any], value: float | None, readings: Readings) -> str:
    """What a village that misses `t` lacks, as a cadre would act on it (figures as the
    rule set's readings compare them)."""
    label = METRIC_LABELS.get(t.metric, t.metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("%(label)s：无数据", label=_(label))

    def num(key: str) -> float:
        x = m.get(key)
        return float(x) if x is not None and not (isinstance(x, float) and math.isnan(x)) else 0.0

    strict = t.op in (">", "<")
    shown = percent_beside(value, t.op, t.value, readings.percent_decimals)
    over = (
        "registered_households" if readings.credit_share_over == OVER_REGISTERED else "households"
    )
    if t.metric == "credit_household_share" and num(over):
        n = _need(t.value, num(over), num("credit_households"), strict)
        return _(
            "还需 %(n)s 户评为信用户（信用户占比 %(shown)s，需达 %(need)s%%）",
            n=n,
            shown=shown,
            need=fmt(t.value),
        )
    if t.metric == "file_coverage" and num("registered_households"):
        n = _need(t.value, num("registered_households"), num("households"), strict)
        return _(
            "还需为 %(n)s 户建立信用档案（建档率 %(shown)s，需达 %(need)s%%）",
            n=n,
            shown=shown,
            need=fmt(t.value),
        )
    if t.metric == "borrowers_not_overdue_share" and num("borrowers"):
        borrowers, overdue = num("borrowers"), num("borrowers_overdue")
        n = _need(t.value, borrowers, borrowers - overdue, strict)
        return _(
            "还需 %(n)s 户借款户结清逾期（无逾期借款户占比 %(shown)s，需达 %(need)s%%）",
            n=n,
            shown=shown,
            need=fmt(t.value),
        )
    if t.metric in ("npl_ratio", "new_npl_ratio") and num("loan_balance"):
        bad = num("npl_balance" if t.metric == "npl_ratio" else "new_npl_balance")
        allowed = t.value / 100 * num("loan_balance")
        cut = max(bad - allowed, 0.01)
        words = {
            "label": _(label),
            "shown": shown,
            "need": fmt(t.value),
            "cut": f"{cut / 10000:.1f}",
        }
        if strict:
            return _(
                "%(label)s %(shown)s，需低于 %(need)s%%：不良贷款还需压降约 %(cut)s 万元", **words
            )
        return _(
            "%(label)s %(shown)s，需不高于 %(need)s%%：不良贷款还需压降约 %(cut)s 万元", **words
        )
    gap = _failing_gap(pd.Series([value]), t).iloc[0]
    return _(
        "%(label)s %(shown)s，差 %(gap)s 个百分点（需%(op)s %(need)s%%）",
        label=_(label),
        shown=shown,
        gap=f"{gap:.1f}",
        op=t.op,
        need=fmt(t.value),
    )


def closest_villages(figures: RunFigures, limit: int = CLOSEST_LIMIT) -> list[CloseVillage]:
    """Villages of the run that are not 信用村, those missing the fewest thresholds by the
    fewest percentage points first (a threshold without data counts as far off)."""
    villages = figures.villages
    failed = villages[villages["passed"] == False]  # noqa: E712 (NaN = not rated)
    if failed.empty or figures.rules is None:
        return []
    # Conditions for reference only fail nothing, so they are nothing a village lacks.
    thresholds = [t for t in figures.rules.village_thresholds if t.binding]
    gaps = pd.DataFrame(
        {
            t.metric: _failing_gap(
                failed[t.metric] if t.metric in failed else pd.Series(np.nan, index=failed.index),
                t,
            )
            for t in thresholds
        },
        index=failed.index,
    )
    ranked = failed.assign(
        _missed=(gaps > 0).sum(axis=1),
        _unknown=np.isinf(gaps).sum(axis=1),
        _shortfall=gaps.replace(math.inf, np.nan).sum(axis=1),
    ).sort_values(["_missed", "_unknown", "_shortfall", "village_code"])
    top = ranked.head(limit)
    out = []
    for row, gap in zip(
        top.to_dict("records"), gaps.loc[top.index].to_dict("records"), strict=True
    ):
        metrics = row.get("metrics") or {}
        lacks = [
            _lack(t, metrics, metrics.get(t.metric), figures.rules.readings)
            for t in thresholds
            if gap[t.metric] > 0
        ]
        unknown = int(row["_unknown"])
        out.append(
            CloseVillage(
                village_code=row["village_code"],
                village_name=row["village_name"],
                township_name=row["township_name"],
                credit_share=None if pd.isna(row["credit_share"]) else float(row["credit_share"]),
                missed=int(row["_missed"]),
                shortfall=math.inf if unknown else round(float(row["_shortfall"]), 1),
                lacks=lacks,
                reasons=list(row.get("reasons") or []),
            )
        )
    return out


# ---- over the years --------------------------------------------------------------------------


def yearly_shares(user: User) -> pd.DataFrame:
    """Per year, from the latest current run covering the user's whole scope: the shares of
    信用户, 信用村 and 信用乡镇 in the scope (percent; NaN where the scope has none)."""
    runs = pd.DataFrame(
        db.session.execute(
            select(RatingRun.id, RatingRun.year, RatingRun.started_at)
            .where(
                RatingRun.region_code.in_(_covering(user)),
                RatingRun.status != RunStatus.SUPERSEDED,
            )
            .order_by(RatingRun.year, RatingRun.started_at, RatingRun.id)
        ).all(),
        columns=["run_id", "year", "started_at"],
    )
    columns = ["year", "run_id", "credit_household_share", "credit_village_share"]
    if runs.empty:
        return pd.DataFrame(columns=[*columns, "credit_township_share"])
    latest = runs.drop_duplicates("year", keep="last")
    ids = latest["run_id"].tolist()

    regions = pd.DataFrame(
        db.session.execute(
            select(RegionRating.run_id, RegionRating.level, RegionRating.passed, func.count())
            .where(RegionRating.run_id.in_(ids), in_scope(RegionRating.region_code, user))
            .group_by(RegionRating.run_id, RegionRating.level, RegionRating.passed)
        ).all(),
        columns=["run_id", "level", "passed", "n"],
    )
    is_credit = RatingResult.grade.is_not(None)
    households = pd.DataFrame(
        db.session.execute(
            select(RatingResult.run_id, is_credit, func.count())
            .where(
                RatingResult.run_id.in_(ids),
                RatingResult.household_id.is_not(None),
                in_scope(RatingResult.village_code, user),
            )
            .group_by(RatingResult.run_id, is_credit)
        ).all(),
        columns=["run_id", "credit", "n"],
    )

    def share(frame: pd.DataFrame, flag: str) -> pd.Series:
        if frame.empty:
            return pd.Series(np.nan, index=pd.Index(ids, name="run_id"))
        frame = frame.assign(hit=frame["n"].where(frame[flag].astype(bool), 0))
        sums = frame.groupby("run_id")[["hit", "n"]].sum().reindex(ids)
        return (sums["hit"] / sums["n"].where(sums["n"] > 0) * 100).round(1)

    out = latest[["year", "run_id"]].set_index("run_id")
    out["credit_household_share"] = share(households, "credit")
    out["credit_village_share"] = share(regions[regions["level"] == RegionLevel.VILLAGE], "passed")
    out["credit_township_share"] = share(
        regions[regions["level"] == RegionLevel.TOWNSHIP], "passed"
    )
    return out.reset_index()[[*columns, "credit_township_share"]]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts for a template, NaN as None."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


# ---- charts (ECharts options, drawn by static/charts.js) -------------------------------------


def grade_colours(grades: list[str]) -> list[str]:
    """Greens from the best grade down, grey below the lowest grade, red when disqualified."""
    credit = [g for g in grades if g not in (UNGRADED, GATED)]
    colours = [CREDIT_COLOURS[min(i, len(CREDIT_COLOURS) - 1)] for i in range(len(credit))]
    return colours + [UNGRADED_COLOUR, GATED_COLOUR][: len(grades) - len(colours)]


def grade_chart(
    frame: pd.DataFrame,
    name_column: str,
    grades: list[str],
    words: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Stacked bars of households per grade, one bar per row of `frame`. `words` carries the
    translated legend entries (未达标, 一票否决) and the axis unit ("户")."""
    words = words or {}
    names = frame[name_column].astype("str").tolist()
    option: dict[str, Any] = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 16, "top": 40, "bottom": 60, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": names,
            "axisLabel": {"rotate": 30 if len(names) > 6 else 0},
        },
        "yAxis": {"type": "value", "name": words.get("户", "户"), "minInterval": 1},
        "series": [
            {
                "name": words.get(grade, grade),
                "type": "bar",
                "stack": "grades",
                "emphasis": {"focus": "series"},
                "itemStyle": {"color": colour},
                "data": frame[grade].astype(int).tolist() if grade in frame else [0] * len(names),
            }
            for grade, colour in zip(grades, grade_colours(grades), strict=True)
        ],
    }
    if len(names) > 20:
        option["dataZoom"] = [
            {"type": "slider", "start": 0, "end": round(20 / len(names) * 100), "bottom": 0},
            {"type": "inside"},
        ]
    return option


def years_chart(years: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    """One point per year for the three shares (percent). A single year is drawn as labelled
    bars: a line through one point reads as an empty axis with a dot."""
    kind = "line" if len(years) > 1 else "bar"

    def points(column: str) -> list[float | None]:
        return [None if pd.isna(v) else float(v) for v in years[column]]

    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 16, "top": 40, "bottom": 30, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(int(y)) for y in years["year"]]},
        "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {
                "name": labels[column],
                "type": kind,
                "connectNulls": True,
                "barMaxWidth": 48,
                "label": {"show": True, "position": "top", "formatter": "{c}%"},
                "data": points(column),
            }
            for column in (
                "credit_household_share",
                "credit_village_share",
                "credit_township_share",
            )
        ],
    }
