"""A run's results as files: an XLSX workbook (every household and entity with its grade,
score, per-indicator points and gate reasons, IDs masked; villages; townships) and a PDF
report (summary, grade distribution, townships, villages with 信用村 pass or fail and why).

The PDF embeds a real CJK font: Noto Sans SC (SIL Open Font License) as TrueType, from the
npm package @expo-google-fonts/noto-sans-sc that `make setup` installs into node_modules.
reportlab embeds a subset of the glyphs used; its built-in CID fonts (STSong-Light) would
not embed anything and leave the reader to guess a font.
"""

import io
import math
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd
from openpyxl import Workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from agri_credit.auth.scopes import in_scope
from agri_credit.number_formats import round_step, thousands
from agri_credit.ratings.figures import Comparison, compared_number, percent_beside
from agri_credit.ratings.rules import COUNTY, TOWNSHIP, VILLAGE, fmt
from models import (
    ENTITY_TYPE_LABELS,
    RESULT_STATUS_LABELS,
    RUN_STATUS_LABELS,
    AgriEntity,
    Household,
    RatingResult,
    User,
    clock,
    db,
    mask_id,
)
from village_forms.xlsx_writer import append_row, header_row

from ..rulesets.services import readings_text
from ..runs.breakdown import value_text
from ..runs.source_dates import source_date_lines
from .services import GATED, UNGRADED, RunFigures, grade_colours

FONT_FILES = {
    "regular": "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
    "bold": "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
}
FONT, FONT_BOLD = "NotoSansSC", "NotoSansSC-Bold"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFontMissing(RuntimeError):
    """The CJK font is not installed; the message tells how to install it."""


# ---- reading results -------------------------------------------------------------------------


def results_frame(figures: RunFigures, user: User) -> pd.DataFrame:
    """Every household and entity result of the run in the user's scope, with names and
    masked identifiers (never the full ID number), best score first within each village."""
    rows = db.session.execute(
        select(
            RatingResult.household_id,
            RatingResult.entity_id,
            RatingResult.village_code,
            RatingResult.score,
            RatingResult.grade,
            RatingResult.breakdown,
            RatingResult.indicator_values,
            RatingResult.gate_reasons,
            RatingResult.missing,
            RatingResult.status,
            Household.head_name,
            Household.head_id_masked,
            AgriEntity.name,
            AgriEntity.entity_type,
            AgriEntity.uscc,
            AgriEntity.operator_id_masked,
        )
        .outerjoin(Household, Household.id == RatingResult.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == RatingResult.entity_id)
        .where(RatingResult.run_id == figures.run.id, in_scope(RatingResult.village_code, user))
        .order_by(RatingResult.village_code, RatingResult.score.desc(), RatingResult.id)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "household_id",
            "entity_id",
            "village_code",
            "score",
            "grade",
            "breakdown",
            "indicator_values",
            "gate_reasons",
            "missing",
            "status",
            "head_name",
            "head_id_masked",
            "entity_name",
            "entity_type",
            "uscc",
            "operator_id_masked",
        ],
    )
    frame["score"] = pd.to_numeric(frame["score"]).astype(float)
    return frame


# ---- XLSX ------------------------------------------------------------------------------------


def _header(sheet: Any, titles: list[str], widths: list[float]) -> None:
    header_row(sheet, titles, widths)


def _points(breakdowns: pd.Series, keys: list[str]) -> pd.DataFrame:
    """Per-indicator points as columns; None (indicator not counted) stays empty."""
    flat = pd.DataFrame.from_records([b or {} for b in breakdowns], index=breakdowns.index)
    return flat.reindex(columns=keys)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    return value


def _place(figures: RunFigures) -> dict[str, tuple[str, str]]:
    villages = figures.villages
    return dict(
        zip(
            villages["village_code"],
            zip(villages["township_name"], villages["village_name"], strict=True),
            strict=True,
        )
    )


def _reading_lines(figures: RunFigures) -> list[str]:
    """本次评定采用的口径, one "item：reading" line each (none for an unreadable rule set)."""
    if figures.rules is None:
        return []
    return [f"{item}：{text}" for item, text in readings_text(figures.rules)]


def _info_sheet(book: Workbook, figures: RunFigures, generated_at: datetime) -> None:
    run, totals = figures.run, figures.totals
    sheet = book.create_sheet("说明")
    _header(sheet, ["项目", "内容"], [18, 80])
    rows = [
        ("评定地区", figures.region_name),
        ("导出范围", figures.scope_name),
        ("年度", run.year),
        ("评定办法", f"《{run.rule_set.cited_title}》 第 {run.rule_set.version} 版"),
        ("数据截至", run.as_of.isoformat()),
        *(("各来源数据日期", line) for line in source_date_lines(run.summary)),
        *(("评定口径", line) for line in _reading_lines(figures)),
        ("评定状态", RUN_STATUS_LABELS.get(run.status, run.status)),
        ("发起人", run.started_by.display_name if run.started_by else ""),
        ("导出时间", generated_at.strftime("%Y-%m-%d %H:%M")),
        ("参评农户", totals["households"]),
        ("信用户", totals["credit_households"]),
        ("信用户占比（%）", totals["credit_household_share"]),
        ("信用村", f"{totals['credit_villages']} / {totals['villages']}"),
        ("信用乡镇", f"{totals['credit_townships']} / {totals['townships']}"),
        ("身份证号", "已脱敏，仅显示前四位和后四位"),
    ]
    rows += [("说明", note) for note in figures.notes]
    for row in rows:
        append_row(sheet, row)


def _households_sheet(book: Workbook, figures: RunFigures, results: pd.DataFrame) -> None:
    indicators = figures.rules.household_indicators if figures.rules else ()
    keys = [i.key for i in indicators]
    sheet = book.create_sheet("农户评定结果")
    titles = ["乡镇", "村", "户主", "身份证号（脱敏）", "总分", "等级"]
    titles += [f"{i.label}（{fmt(i.points)}分）" for i in indicators]
    # Departmental indicators: the value each scored, as the result page shows it.
    departmental = [i for i in indicators if i.departmental]
    titles += [f"{i.label}（数值）" for i in departmental]
    titles += ["否决原因", "缺少数据", "状态"]
    widths = [10, 10, 10, 22, 8, 8] + [12] * len(keys) + [14] * len(departmental)
    _header(sheet, titles, widths + [30, 30, 8])
    part = results[results["household_id"].notna()]
    points = _points(part["breakdown"], keys)
    texts = [
        [
            None if key not in (stated or {}) else value_text(ind, stated[key], str)
            for ind, key in ((i, i.key) for i in departmental)
        ]
        for stated in part["indicator_values"]
    ]
    place = _place(figures)
    for row, pts, shown in zip(
        part.itertuples(index=False), points.itertuples(index=False), texts, strict=True
    ):
        township, village = place.get(row.village_code, ("", row.village_code))
        append_row(
            sheet,
            [
                township,
                village,
                row.head_name,
                row.head_id_masked,
                row.score,
                _cell(row.grade) or (GATED if row.gate_reasons else UNGRADED),
                *[_cell(p) for p in pts],
                *shown,
                row.gate_reasons,
                row.missing,
                RESULT_STATUS_LABELS.get(row.status, row.status),
            ],
        )


def _entities_sheet(book: Workbook, figures: RunFigures, results: pd.DataFrame) -> None:
    labels: dict[str, str] = {}
    for sheet_rules in figures.rules.entity_sheets if figures.rules else ():
        for ind in sheet_rules.indicators:
            labels.setdefault(ind.key, ind.label)
    keys = list(labels)
    sheet = book.create_sheet("经营主体评定结果")
    titles = ["乡镇", "村", "主体名称", "主体类型", "统一社会信用代码/经营者身份证号（脱敏）"]
    titles += ["总分", "等级", *[labels[k] for k in keys], "否决原因", "缺少数据", "状态"]
    _header(sheet, titles, [10, 10, 24, 14, 30, 8, 8] + [10] * len(keys) + [30, 30, 8])
    part = results[results["entity_id"].notna()]
    points = _points(part["breakdown"], keys)
    place = _place(figures)
    for row, pts in zip(part.itertuples(index=False), points.itertuples(index=False), strict=True):
        township, village = place.get(row.village_code, ("", row.village_code))
        identifier = mask_id(row.uscc) if _cell(row.uscc) else row.operator_id_masked
        append_row(
            sheet,
            [
                township,
                village,
                row.entity_name,
                ENTITY_TYPE_LABELS.get(row.entity_type, row.entity_type),
                identifier,
                row.score,
                _cell(row.grade) or (GATED if row.gate_reasons else UNGRADED),
                *[_cell(p) for p in pts],
                row.gate_reasons,
                row.missing,
                RESULT_STATUS_LABELS.get(row.status, row.status),
            ],
        )


AREA_METRICS = (
    ("file_coverage", "建档率（%）"),
    ("borrowers_not_overdue_share", "无逾期借款户占比（%）"),
    ("npl_ratio", "不良贷款率（%）"),
    ("new_npl_ratio", "新增不良贷款率（%）"),
)


def _pass_text(passed: Any) -> str:
    if passed is None or (isinstance(passed, float) and pd.isna(passed)):
        return "未评定"
    return "达标" if bool(passed) else "未达标"


def _round(value: Any, threshold: Comparison | None = None) -> Any:
    """A ratio as a number to two decimals; beside its threshold (the 达标 column), with the
    decimals that agree with the decision (89.996 against ≥ 90 is 89.99, never 90.0)."""
    value = _cell(value)
    if value is None:
        return None
    if threshold is None:
        return round(float(value), 2)
    return float(compared_number(float(value), threshold.op, threshold.value, threshold.decimals))


def _villages_sheet(book: Workbook, figures: RunFigures) -> None:
    sheet = book.create_sheet("信用村")
    titles = ["乡镇", "村", "参评农户", "信用户", "信用户占比（%）"]
    titles += [label for _, label in AREA_METRICS] + ["信用村", "未达标原因"]
    _header(sheet, titles, [10, 10, 9, 9, 12, 10, 14, 12, 14, 8, 60])
    v = figures.villages
    beside = figures.thresholds(VILLAGE)
    for row in v.to_dict("records"):
        append_row(
            sheet,
            [
                row["township_name"],
                row["village_name"],
                int(row["households"]),
                int(row["credit_households"]),
                _round(row["credit_share"], beside.get("credit_household_share")),
                *[_round(row.get(metric), beside.get(metric)) for metric, _ in AREA_METRICS],
                _pass_text(row.get("passed")),
                "；".join(_reasons(row.get("reasons"))),
            ],
        )


def _townships_sheet(book: Workbook, figures: RunFigures) -> None:
    sheet = book.create_sheet("信用乡镇")
    titles = ["乡镇", "村数", "信用村数", "参评农户", "信用户", "信用户占比（%）"]
    titles += [label for _, label in AREA_METRICS] + ["信用乡镇", "未达标原因"]
    _header(sheet, titles, [10, 8, 9, 9, 9, 12, 10, 14, 12, 14, 9, 60])
    beside = figures.thresholds(TOWNSHIP)
    for row in figures.townships.to_dict("records"):
        append_row(
            sheet,
            [
                row["township_name"],
                int(row["village_count"]),
                int(row["credit_village_count"]),
                int(row["households"]),
                int(row["credit_households"]),
                _round(row["credit_share"], beside.get("credit_household_share")),
                *[_round(row.get(metric), beside.get(metric)) for metric, _ in AREA_METRICS],
                _pass_text(row.get("passed")),
                "；".join(_reasons(row.get("reasons"))),
            ],
        )


def _reasons(value: Any) -> list[str]:
    return [str(r) for r in value] if isinstance(value, list) else []


def results_workbook(
    figures: RunFigures, results: pd.DataFrame, generated_at: datetime | None = None
) -> bytes:
    """The run's results in the user's scope as an XLSX file (write-only: a county of
    200,000 households streams through without holding cell objects)."""
    book = Workbook(write_only=True)
    _info_sheet(book, figures, generated_at or clock.now())
    _households_sheet(book, figures, results)
    _entities_sheet(book, figures, results)
    _villages_sheet(book, figures)
    _townships_sheet(book, figures)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- PDF -------------------------------------------------------------------------------------


@cache
def register_cjk_font(asset_root: Path) -> tuple[str, str]:
    """Register Noto Sans SC (regular and bold) with reportlab once per process."""
    paths = {kind: Path(asset_root) / relative for kind, relative in FONT_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ReportFontMissing(
            "缺少 PDF 报告所需的中文字体文件（" + "、".join(missing) + "），请运行 make setup 安装"
        )
    pdfmetrics.registerFont(TTFont(FONT, str(paths["regular"])))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(paths["bold"])))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    return FONT, FONT_BOLD


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=22, alignment=TA_CENTER
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=18,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555")
        ),
    }


TABLE_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
    ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("LEADING", (0, 0), (-1, -1), 11),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f5e9")),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafafa")]),
]


def _table(rows: list[list[Any]], widths: list[float], extra: list | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(TABLE_STYLE + (extra or [])))
    return table


def _percent(value: Any, threshold: Comparison | None = None) -> str:
    """A ratio to one decimal; beside its threshold, as many as agree with the decision."""
    value = _cell(value)
    if value is None:
        return "—"
    if threshold is None:
        return f"{float(value):.1f}%"
    return percent_beside(float(value), threshold.op, threshold.value, threshold.decimals)


def _grade_drawing(grades: list[str], counts: list[int]) -> Drawing:
    drawing = Drawing(16 * cm, 5.5 * cm)
    drawing.initialFontName = FONT  # else the drawing starts in (unembedded) Helvetica
    chart = VerticalBarChart()
    chart.x, chart.y = 1.2 * cm, 0.9 * cm
    chart.width, chart.height = 14 * cm, 4.2 * cm
    chart.data = [counts]
    chart.categoryAxis.categoryNames = grades
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    # Round ticks (0, 20, 40 … households) and headroom so the labels above the bars stay
    # inside the chart.
    step = round_step(max(counts, default=0))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = step
    chart.valueAxis.valueMax = step * math.ceil(max(max(counts, default=0) * 1.15, 1) / step)
    chart.valueAxis.labelTextFormat = thousands
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "s"  # the label's bottom edge sits above the bar's top
    chart.barLabels.dy = 2
    chart.barLabelFormat = thousands
    chart.bars.strokeWidth = 0
    for i, colour in enumerate(grade_colours(grades)):
        chart.bars[(0, i)].fillColor = colors.HexColor(colour)
    drawing.add(chart)
    return drawing


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont(FONT, 8)
    canvas.setFillColor(colors.HexColor("#777777"))
    canvas.drawCentredString(A4[0] / 2, 1.0 * cm, f"{doc.title} · 第 {doc.page} 页")
    canvas.restoreState()


def report_pdf(
    figures: RunFigures, asset_root: Path, generated_at: datetime | None = None
) -> bytes:
    """The rating report of a run for the user's scope, as PDF with an embedded CJK font."""
    register_cjk_font(asset_root)
    styles = _styles()
    run, totals = figures.run, figures.totals
    generated_at = generated_at or clock.now()
    title = f"{figures.region_name}{run.year}年度信用户、信用村、信用乡镇评定报告"
    if figures.scope_name != figures.region_name:
        title += f"（{figures.scope_name}）"

    def p(text: str, style: str = "body") -> Paragraph:
        return Paragraph(escape(text), styles[style])

    story: list[Any] = [p(title, "title"), Spacer(1, 0.3 * cm)]
    story.append(
        p(
            f"评定办法：《{run.rule_set.cited_title}》 第 {run.rule_set.version} 版　"
            f"数据截至：{run.as_of.isoformat()}　"
            f"状态：{RUN_STATUS_LABELS.get(run.status, run.status)}　"
            f"生成时间：{generated_at.strftime('%Y-%m-%d %H:%M')}",
            "muted",
        )
    )
    for line in source_date_lines(run.summary):
        story.append(p(f"各来源数据日期：{line}", "muted"))
    for line in _reading_lines(figures):
        story.append(p(f"评定口径：{line}", "muted"))
    for note in figures.notes:
        story.append(p(f"说明：{note}", "muted"))

    story.append(p("一、总体情况", "h2"))
    county = totals["county_passed"]
    beside = figures.thresholds(COUNTY)
    summary = [
        ["项目", "数量", "占比"],
        ["参评农户", f"{thousands(totals['households'])} 户", ""],
        [
            "信用户",
            f"{thousands(totals['credit_households'])} 户",
            _percent(totals["credit_household_share"], beside.get("credit_household_share")),
        ],
        ["参评新型农业经营主体", f"{thousands(totals['entities'])} 个", ""],
        ["评定等级的经营主体", f"{thousands(totals['credit_entities'])} 个", ""],
        [
            "信用村",
            f"{thousands(totals['credit_villages'])} / {totals['villages']} 个",
            _percent(totals["credit_village_share"], beside.get("credit_village_share")),
        ],
        [
            "信用乡镇",
            f"{thousands(totals['credit_townships'])} / {totals['townships']} 个",
            _percent(totals["credit_township_share"], beside.get("credit_township_share")),
        ],
    ]
    if county is not None:
        summary.append(["信用县", "达标" if county else "未达标", ""])
    story.append(_table(summary, [6 * cm, 5 * cm, 4 * cm]))
    if county is False and totals["county_reasons"]:
        story.append(p("信用县未达标原因：" + "；".join(totals["county_reasons"]), "small"))

    story.append(p("二、农户信用等级分布", "h2"))
    counts = [int(figures.villages[g].sum()) for g in figures.grades]
    households = sum(counts) or 1
    story.append(_grade_drawing(figures.grades, counts))
    rows = [["等级", *figures.grades]]
    rows.append(["户数", *[thousands(n) for n in counts]])
    rows.append(["占比", *[f"{n / households * 100:.1f}%" for n in counts]])
    width = 15 * cm / (len(figures.grades) + 1)
    story.append(_table(rows, [width] * (len(figures.grades) + 1)))

    story.append(p("三、信用乡镇评定", "h2"))
    rows = [["乡镇", "村数", "信用村", "参评农户", "信用户占比", "信用乡镇", "未达标原因"]]
    passed_style = []
    for i, row in enumerate(figures.townships.to_dict("records"), start=1):
        rows.append(
            [
                p(row["township_name"], "small"),
                thousands(row["village_count"]),
                thousands(row["credit_village_count"]),
                thousands(row["households"]),
                _percent(
                    row["credit_share"], figures.thresholds(TOWNSHIP).get("credit_household_share")
                ),
                _pass_text(row.get("passed")),
                _reason_lines(row.get("reasons"), styles["small"]),
            ]
        )
        passed_style.append(_pass_colour(i, 5, row.get("passed")))
    story.append(
        _table(
            rows,
            [2.4 * cm, 1.2 * cm, 1.4 * cm, 1.6 * cm, 1.9 * cm, 1.7 * cm, 7.3 * cm],
            passed_style,
        )
    )

    story.append(p("四、信用村评定", "h2"))
    rows = [["乡镇", "村", "参评农户", "信用户", "信用户占比", "信用村", "未达标原因"]]
    passed_style = []
    for i, row in enumerate(figures.villages.to_dict("records"), start=1):
        rows.append(
            [
                p(row["township_name"], "small"),
                p(row["village_name"], "small"),
                thousands(row["households"]),
                thousands(row["credit_households"]),
                _percent(
                    row["credit_share"], figures.thresholds(VILLAGE).get("credit_household_share")
                ),
                _pass_text(row.get("passed")),
                _reason_lines(row.get("reasons"), styles["small"]),
            ]
        )
        passed_style.append(_pass_colour(i, 5, row.get("passed")))
    story.append(
        _table(
            rows,
            [2.2 * cm, 2.2 * cm, 1.5 * cm, 1.3 * cm, 1.8 * cm, 1.5 * cm, 7.0 * cm],
            passed_style,
        )
    )

    departmental = departmental_summary(figures)
    if departmental:
        story.append(p("五、部门数据指标", "h2"))
        rows = [["指标", "统计期", "有记录农户", "无记录农户", "平均得分", "满分"]]
        rows += departmental
        story.append(_table(rows, [4.2 * cm, 2.2 * cm, 2.4 * cm, 2.4 * cm, 2.2 * cm, 1.8 * cm]))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.8 * cm,
        title=title,
        author=figures.scope_name,
        initialFontName=FONT,
    )
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def departmental_summary(figures: RunFigures) -> list[list[Any]]:
    """Per departmental indicator of the run's household sheet, over the households of the
    villages in scope: its window, households with and without records, average points."""
    indicators = (
        [i for i in figures.rules.household_indicators if i.departmental] if (figures.rules) else []
    )
    if not indicators:
        return []
    codes = figures.villages["village_code"].astype("str").tolist()
    rows = db.session.execute(
        select(RatingResult.breakdown, RatingResult.indicator_values).where(
            RatingResult.run_id == figures.run.id,
            RatingResult.household_id.is_not(None),
            RatingResult.village_code.in_(codes),
        )
    ).all()
    points = _points(pd.Series([r[0] for r in rows], dtype=object), [i.key for i in indicators])
    values = pd.DataFrame.from_records(
        [r[1] or {} for r in rows], columns=[i.key for i in indicators]
    )
    out = []
    for ind in indicators:
        scored = pd.to_numeric(points[ind.key], errors="coerce")
        if scored.isna().all():
            continue  # left out of the run for want of data: its note says so
        stated = values[ind.key] if len(values) else pd.Series(dtype=object)
        with_records = int(stated.notna().sum())
        out.append(
            [
                ind.label,
                f"近 {ind.lookback_months} 个月",
                f"{with_records} 户",
                f"{len(rows) - with_records} 户",
                f"{scored.mean():.2f}",
                fmt(ind.points),
            ]
        )
    return out


def _reason_lines(reasons: Any, style: ParagraphStyle) -> Paragraph:
    """One reason a line: easier to read than one run-on sentence."""
    lines = [escape(r) for r in _reasons(reasons)]
    return Paragraph("<br/>".join(lines) or "—", style)


def _pass_colour(row: int, column: int, passed: Any) -> tuple:
    text = _pass_text(passed)
    colour = {"达标": "#1b7a3d", "未达标": "#c62828"}.get(text, "#555555")
    return ("TEXTCOLOR", (column, row), (column, row), colors.HexColor(colour))
