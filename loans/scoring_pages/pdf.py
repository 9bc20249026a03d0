"""A model's report as a PDF: the page's figures and tables, and its ROC curve drawn by
reportlab, in Noto Sans SC (embedded, as the rating reports do)."""

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from agri_credit.number_formats import thousands
from agri_credit.rating_cycle.reports.exports import FONT, FONT_BOLD, register_cjk_font
from models import ScoreModel, local_time

from .report import GREEN, GREY, ORANGE, GroupRow, ModelReport

TABLE_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
    ("FONTSIZE", (0, 0), (-1, -1), 8),
    ("LEADING", (0, 0), (-1, -1), 11),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f5e9")),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9e9e9e")),
    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
]


def _num(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _count(value: Any) -> str:
    return thousands(value)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.2f}%"


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=[w * cm for w in widths], repeatRows=1)
    table.setStyle(TableStyle(TABLE_STYLE))
    return table


def _group_table(rows: list[GroupRow], first: str) -> Table:
    return _table(
        [[first, _("测试期贷款"), "AUC", _("实际违约率"), _("平均预测"), _("平均分")]]
        + [
            [
                r.label,
                _count(r.rows),
                _num(r.auc),
                _pct(r.default_rate),
                _pct(r.predicted),
                _num(r.points_mean, 1),
            ]
            for r in rows
        ],
        [4.6, 2.2, 2, 2.4, 2.4, 2],
    )


def _roc_drawing(metrics: dict[str, Any]) -> Drawing:
    drawing = Drawing(9 * cm, 8 * cm)
    drawing.initialFontName = FONT
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 1.2 * cm, 1 * cm, 7 * cm, 6.5 * cm
    lines = [[tuple(p) for p in metrics["roc"]], [(0, 0), (1, 1)]]
    colours = [GREEN, GREY]
    if metrics.get("baseline_roc"):
        lines.insert(1, [tuple(p) for p in metrics["baseline_roc"]])
        colours.insert(1, ORANGE)
    plot.data = lines
    for i, colour in enumerate(colours):
        plot.lines[i].strokeColor = colors.HexColor(colour)
        plot.lines[i].strokeWidth = 1.2
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.valueMin, axis.valueMax, axis.valueStep = 0, 1, 0.2
        axis.labelTextFormat = "%.1f"  # 0.6, not 0.6000000000000001
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
    drawing.add(plot)
    return drawing


def model_report_pdf(
    model: ScoreModel, report: ModelReport, asset_root: Path, now: datetime
) -> bytes:
    register_cjk_font(asset_root)
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    title = ParagraphStyle(
        "title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=22, alignment=TA_CENTER
    )
    h2 = ParagraphStyle(
        "h2",
        parent=base,
        fontName=FONT_BOLD,
        fontSize=12,
        leading=18,
        spaceBefore=10,
        spaceAfter=4,
        keepWithNext=1,
    )
    h, m = report.headline, model.metrics
    window = model.window or {}
    story: list[Any] = [
        Paragraph(escape(_("违约风险模型 v%(v)s 评估报告", v=model.id)), title),
        Spacer(1, 6),
        Paragraph(
            escape(
                _(
                    "训练期 %(a)s 至 %(b)s，验证期至 %(c)s，测试期 %(d)s 至 %(e)s；数据截至 %(asof)s；训练人 %(who)s，%(when)s。",
                    a=window.get("train_from", "—"),
                    b=window.get("train_to", "—"),
                    c=window.get("valid_to", "—"),
                    d=window.get("test_from", "—"),
                    e=window.get("test_to", "—"),
                    asof=model.data_as_of.isoformat() if model.data_as_of else "—",
                    who=model.trained_by.display_name if model.trained_by else "—",
                    when=local_time(model.created_at).strftime("%Y-%m-%d %H:%M"),
                )
            ),
            base,
        ),
        Paragraph(escape(_verdict(report)), base),
        Paragraph(escape(_("测试期指标")), h2),
        _table(
            [
                [_("指标"), "LightGBM", _("WOE 逻辑回归")],
                ["AUC", _num(h["auc"]), _num(h["baseline_auc"])],
                ["KS", _num(h["ks"]), _num(h["baseline_ks"])],
                ["Gini", _num(h["gini"]), _num(h["baseline_gini"])],
                ["Brier", _num(h["brier"], 5), _num(h["baseline_brier"], 5)],
            ],
            [5, 4, 4],
        ),
    ]
    if h.get("true_probability_auc") is not None:
        story.append(
            Paragraph(
                escape(
                    _(
                        "同一批测试期贷款上真实违约概率的 AUC：%(auc)s（任何模型能达到的上限）。",
                        auc=_num(h["true_probability_auc"]),
                    )
                    + _partial_truth(h)
                ),
                base,
            )
        )
    story.append(
        Paragraph(
            escape(
                _(
                    "贷款 %(rows)s 笔（训练 %(a)s / 验证 %(b)s / 测试 %(c)s），测试期违约率 %(rate)s。",
                    rows=_count(h.get("rows")),
                    a=_count(h.get("rows_train")),
                    b=_count(h.get("rows_valid")),
                    c=_count(h.get("rows_test")),
                    rate=_pct(h.get("default_rate")),
                )
            ),
            base,
        )
    )
    if m.get("roc"):
        story += [Paragraph(escape(_("ROC 曲线")), h2), _roc_drawing(m)]
        story.append(Paragraph(escape(_("绿色：LightGBM；橙色：WOE 逻辑回归；灰色：随机。")), base))
    story += [
        Paragraph(escape(_("校准（按预测违约率十分位）")), h2),
        _table(
            [[_("十分位"), _("贷款数"), _("预测违约率"), _("实际违约率"), _("差距")]]
            + [
                [r["decile"], r["loans"], _pct(r["predicted"]), _pct(r["observed"]), _pct(r["gap"])]
                for r in report.calibration
            ],
            [2, 2.5, 3, 3, 2.5],
        ),
        Paragraph(escape(_("各分数段违约率")), h2),
        _table(
            [[_("分数段"), _("贷款数"), _("实际违约率")]]
            + [[b["band"], b["loans"], _pct(b["observed"])] for b in report.bands],
            [4, 3, 3],
        ),
        Paragraph(escape(_("特征重要性（前15）")), h2),
        _table(
            [[_("特征"), _("增益占比")]]
            + [[r["name"], f"{100 * r['share']:.1f}%"] for r in report.importance[:15]],
            [9, 3],
        ),
        Paragraph(escape(_("按主体类别")), h2),
        _group_table(report.by_type, _("主体类别")),
        *_per_type_section(report, h2),
        Paragraph(escape(_("按乡镇")), h2),
        _group_table(report.by_township, _("乡镇")),
        Paragraph(escape(_("公平性检查：按性别")), h2),
        Paragraph(
            escape(_("性别从不作为模型特征；此处仅从身份证号读取，用于检查各性别的平均分和 AUC。")),
            base,
        ),
        _group_table(report.by_gender, _("性别")),
        Spacer(1, 8),
        Paragraph(escape(_("生成时间：%(t)s", t=local_time(now).strftime("%Y-%m-%d %H:%M"))), base),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=1.6 * cm,
        rightMargin=1.6 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=f"score-model-v{model.id}",
    ).build(story)
    return buffer.getvalue()


def _verdict(report: ModelReport) -> str:
    h = report.headline
    if report.beats_baseline is None:
        return _("本次训练未拟合逻辑回归基准。")
    if report.beats_baseline:
        return _(
            "LightGBM 优于 WOE 逻辑回归评分卡：测试期 AUC %(auc)s，基准 %(base)s。",
            auc=_num(h["auc"]),
            base=_num(h["baseline_auc"]),
        )
    return _(
        "LightGBM 没有优于 WOE 逻辑回归评分卡：测试期 AUC %(auc)s，基准 %(base)s。在这份数据上简单的评分卡至少一样好，启用前请慎重。",
        auc=_num(h["auc"]),
        base=_num(h["baseline_auc"]),
    )


def _per_type_section(report: ModelReport, h2: ParagraphStyle) -> list[Any]:
    if not report.per_type:
        return []
    verdicts = {
        "separate": _("单独模型更好"),
        "pooled": _("一个模型更好"),
        None: _("贷款太少，无法比较"),
    }
    return [
        Paragraph(escape(_("一个模型还是每类一个模型")), h2),
        _table(
            [[_("主体类别"), _("测试期贷款"), _("一个模型 AUC"), _("单独模型 AUC"), _("结论")]]
            + [
                [
                    r.label,
                    _count(r.rows_test),
                    _num(r.pooled_auc),
                    _num(r.separate_auc),
                    verdicts[r.better],
                ]
                for r in report.per_type
            ],
            [4, 2.2, 2.6, 2.6, 4],
        ),
    ]


def _partial_truth(h: dict) -> str:
    """When only some held-out loans have a known truth: on how many, and the model's AUC there."""
    known, total = h.get("true_probability_rows"), h.get("rows_test")
    if known is None or total is None or known >= total:
        return ""
    return _(
        "只算有真实概率的 %(known)s 笔测试期贷款（共 %(total)s 笔），模型在这些贷款上的 AUC 为 %(auc)s。",
        known=f"{known:,}",
        total=f"{total:,}",
        auc=_num(h.get("auc_on_true_probability_rows")),
    )
