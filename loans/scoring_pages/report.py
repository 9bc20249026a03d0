"""What a model's report shows, built from the metrics stored with the model at training
(`ScoreModel.metrics`): headline figures beside the WOE-logistic baseline, the tables, and
the ECharts options the page draws (the PDF draws the same tables). Plain data in, plain
data out: no Flask, no database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loans.scoring.asof import SUBJECT_TYPE_LABELS
from loans.scoring.catalog import BY_COLUMN
from loans.scoring.stability import SHIFTED, WATCH
from models import N_

GREEN, GREY, ORANGE = "#198754", "#6c757d", "#fd7e14"
GENDER_ORDER = (N_("男"), N_("女"), N_("未知"), N_("不适用"))


@dataclass
class GroupRow:
    key: str
    label: str
    rows: int
    auc: float | None
    default_rate: float | None
    predicted: float | None
    points_mean: float | None


@dataclass
class PerTypeRow:
    """One subject type: the stored model (type as a feature) beside a model of its own."""

    key: str
    label: str
    rows_test: int
    pooled_auc: float | None
    separate_auc: float | None
    pooled_brier: float | None
    separate_brier: float | None
    better: str | None  # "pooled", "separate", or None when not comparable


def per_type_rows(per_type: dict[str, dict], labels: dict[str, str]) -> list[PerTypeRow]:
    rows = []
    for key in sorted(per_type, key=lambda k: (list(labels).index(k) if k in labels else 9, k)):
        values = per_type[key]
        pooled, separate = values.get("pooled_auc"), values.get("separate_auc")
        better = None
        if pooled is not None and separate is not None:
            better = "separate" if separate > pooled else "pooled"
        rows.append(
            PerTypeRow(
                key=key,
                label=labels.get(key, key),
                rows_test=int(values.get("rows_test", 0)),
                pooled_auc=pooled,
                separate_auc=separate,
                pooled_brier=values.get("pooled_brier"),
                separate_brier=values.get("separate_brier"),
                better=better,
            )
        )
    return rows


@dataclass
class ModelReport:
    headline: dict[str, Any]
    beats_baseline: bool | None
    calibration: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    importance: list[dict[str, Any]]  # column, name, source, gain, share
    by_type: list[GroupRow]
    by_township: list[GroupRow]
    by_gender: list[GroupRow]
    per_type: list[PerTypeRow] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def beats_baseline(metrics: dict[str, Any]) -> bool | None:
    """Whether LightGBM beats the WOE-logistic scorecard on the same held-out loans (issue 14
    point 6); None when no baseline was fitted. The page and the PDF say it plainly."""
    auc, base = metrics.get("auc"), metrics.get("baseline_auc")
    if base is None or auc is None:
        return None
    return auc > base


def feature_name(column: str) -> str:
    feature = BY_COLUMN.get(column)
    return feature.name if feature else column


def importance_rows(importance: dict[str, float]) -> list[dict[str, Any]]:
    total = sum(importance.values()) or 1.0
    return [
        {
            "column": column,
            "name": feature_name(column),
            "source": BY_COLUMN[column].source if column in BY_COLUMN else "",
            "gain": gain,
            "share": gain / total,
        }
        for column, gain in importance.items()
    ]


def _group_rows(
    groups: dict[str, dict], labels: dict[str, str], order: tuple[str, ...] = ()
) -> list[GroupRow]:
    keys = sorted(groups, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [
        GroupRow(
            key=key,
            label=labels.get(key, key) or "—",
            rows=int(groups[key].get("rows", 0)),
            auc=groups[key].get("auc"),
            default_rate=groups[key].get("default_rate"),
            predicted=groups[key].get("predicted"),
            points_mean=groups[key].get("points_mean"),
        )
        for key in keys
    ]


def build_report(
    metrics: dict[str, Any],
    township_names: dict[str, str],
    translate: Callable[[str], str] = str,
) -> ModelReport:
    """The report of one stored model; `township_names`: 9-digit code -> name; `translate`
    turns the chart labels (marked N_) into the reader's language."""
    headline = {
        key: metrics.get(key)
        for key in (
            "auc",
            "ks",
            "gini",
            "brier",
            "default_rate",
            "rows",
            "rows_train",
            "rows_valid",
            "rows_test",
            "baseline_auc",
            "baseline_ks",
            "baseline_gini",
            "baseline_brier",
            "true_probability_auc",
            "true_probability_rows",
            "auc_on_true_probability_rows",
            "points_mean",
        )
    }
    report = ModelReport(
        headline=headline,
        beats_baseline=beats_baseline(metrics),
        calibration=list(metrics.get("calibration", [])),
        bands=list(metrics.get("bands", [])),
        importance=importance_rows(metrics.get("importance", {})),
        by_type=_group_rows(
            metrics.get("by_subject_type", {}),
            {k: translate(v) for k, v in SUBJECT_TYPE_LABELS.items()},
            tuple(SUBJECT_TYPE_LABELS),
        ),
        by_township=_group_rows(metrics.get("by_township", {}), township_names),
        by_gender=_group_rows(
            metrics.get("by_gender", {}), {g: translate(g) for g in GENDER_ORDER}, GENDER_ORDER
        ),
    )
    report.per_type = per_type_rows(
        metrics.get("per_type", {}), {k: translate(v) for k, v in SUBJECT_TYPE_LABELS.items()}
    )
    report.charts = charts(metrics, report, translate)
    return report


def charts(
    metrics: dict[str, Any], report: ModelReport, t: Callable[[str], str] = str
) -> dict[str, dict[str, Any]]:
    """ECharts options, complete, drawn by static/charts.js."""
    out: dict[str, dict[str, Any]] = {}
    if metrics.get("roc"):
        series = [
            _line("LightGBM", metrics["roc"], GREEN),
            _line(t(N_("对角线")), [[0, 0], [1, 1]], GREY, dashed=True),
        ]
        if metrics.get("baseline_roc"):
            series.insert(1, _line(t(N_("WOE 逻辑回归")), metrics["baseline_roc"], ORANGE))
        out["roc"] = {
            "animation": False,
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 52, "right": 16, "top": 16, "bottom": 72},
            "xAxis": {
                "type": "value",
                "min": 0,
                "max": 1,
                "name": t(N_("误报率")),
                "nameLocation": "middle",
                "nameGap": 24,
            },
            "yAxis": {
                "type": "value",
                "min": 0,
                "max": 1,
                "name": t(N_("命中率")),
                "nameLocation": "middle",
                "nameGap": 36,
            },
            "series": series,
        }
    if report.calibration:
        deciles = [str(row["decile"]) for row in report.calibration]
        out["calibration"] = {
            "animation": False,
            "tooltip": {"trigger": "axis"},
            "legend": {"bottom": 0},
            "grid": {"left": 48, "right": 16, "top": 32, "bottom": 72},
            "xAxis": {
                "type": "category",
                "data": deciles,
                "name": t(N_("十分位")),
                "nameLocation": "middle",
                "nameGap": 24,
            },
            "yAxis": {"type": "value", "name": t(N_("违约率（%）"))},
            "series": [
                {
                    "name": t(N_("预测违约率")),
                    "type": "bar",
                    "itemStyle": {"color": GREY},
                    "data": [round(100 * r["predicted"], 2) for r in report.calibration],
                },
                {
                    "name": t(N_("实际违约率")),
                    "type": "bar",
                    "itemStyle": {"color": GREEN},
                    "data": [round(100 * r["observed"], 2) for r in report.calibration],
                },
            ],
        }
    if report.bands:
        out["bands"] = {
            "animation": False,
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 48, "right": 16, "top": 32, "bottom": 40},
            "xAxis": {"type": "category", "data": [b["band"] for b in report.bands]},
            "yAxis": {"type": "value", "name": t(N_("违约率（%）"))},
            "series": [
                {
                    "name": t(N_("实际违约率")),
                    "type": "bar",
                    "itemStyle": {"color": GREEN},
                    "data": [round(100 * b["observed"], 2) for b in report.bands],
                }
            ],
        }
    if report.importance:
        top = list(reversed(report.importance[:15]))
        out["importance"] = {
            "animation": False,
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 24, "containLabel": True},
            "xAxis": {"type": "value", "name": "%"},
            "yAxis": {
                "type": "category",
                "data": [row["name"] for row in top],
                "axisLabel": {"width": 150, "overflow": "truncate"},
            },
            "series": [
                {
                    "name": t(N_("重要性（增益占比）")),
                    "type": "bar",
                    "itemStyle": {"color": GREEN},
                    "data": [round(100 * row["share"], 1) for row in top],
                }
            ],
        }
    return out


def _line(name: str, points: list, colour: str, dashed: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "type": "line",
        "showSymbol": False,
        "data": points,
        "lineStyle": {"color": colour, "type": "dashed" if dashed else "solid"},
        "itemStyle": {"color": colour},
    }


@dataclass
class StabilityRow:
    column: str
    name: str
    psi: float
    level: str  # 稳定 / 关注 / 偏移


def stability_rows(stability: dict[str, dict]) -> list[StabilityRow]:
    """PSI of the score (first) and of the top features, as measured by a scoring run."""
    rows = [
        StabilityRow(
            column,
            N_("评分（分数）") if column == "points" else feature_name(column),
            float(value["psi"]),
            value["level"],
        )
        for column, value in stability.items()
    ]
    return sorted(rows, key=lambda r: (r.column != "points",))


def stability_levels() -> tuple[float, float]:
    return WATCH, SHIFTED
