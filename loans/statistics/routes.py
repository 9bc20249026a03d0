"""The statistics page and its XLSX export: credit offices for their node of the region
tree (any bank, or one), bank officers for their own bank only."""

from dataclasses import dataclass, replace
from io import BytesIO
from typing import Any

from flask import abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agri_credit.audit import record_event
from models import (
    PRODUCT_TYPE_LABELS,
    REJECTION_REASONS,
    SUBJECT_TYPE_LABELS,
    Bank,
    Region,
    RegionLevel,
    Role,
    clock,
    code_range,
    db,
)

from . import bp
from .charts import funnel_bars, reasons_pie
from .export import statistics_workbook
from .figures import NO_PRODUCT, Figures, combine
from .filters import Parsed, parse_filters
from .queries import read_grouped
from .tables import Table, build_tables

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Viewer:
    low: str
    high: str
    scope_name: str
    bank_id: int | None  # an officer's own bank: every figure is limited to it


def _viewer() -> Viewer:
    user = current_user
    low, high = code_range(user.scope_code, user.scope.level)
    if user.role == Role.OFFICE:
        return Viewer(low, high, user.scope.name, None)
    if user.role == Role.OFFICER and user.bank_id is not None:
        return Viewer(low, high, user.scope.name, user.bank_id)
    abort(403)


def _townships(viewer: Viewer) -> dict[str, str]:
    rows = db.session.execute(
        select(Region.code, Region.name)
        .where(Region.level == RegionLevel.TOWNSHIP, Region.code.between(viewer.low, viewer.high))
        .order_by(Region.code)
    ).all()
    return dict(rows)


def _banks() -> dict[int, str]:
    return dict(db.session.execute(select(Bank.id, Bank.short_name).order_by(Bank.name)).all())


def _labels() -> dict[str, str]:
    return {
        "posted": _("发布需求"),
        "matched": _("已匹配"),
        "claimed": _("已抢单"),
        "approved": _("已获批"),
        "amount": _("授信金额（元）"),
        "first_loans": _("首贷户"),
        "avg_days": _("平均办理天数"),
        "rejected": _("拒绝笔数"),
        "month": _("月份"),
        "bank": _("银行"),
        "product_type": _("产品类型"),
        "subject_type": _("主体类型"),
        "township": _("乡镇"),
        "reason": _("拒绝原因"),
        "rejections": _("笔数"),
        "by_month": _("按月份"),
        "by_bank": _("按银行"),
        "by_product_type": _("按产品类型"),
        "by_subject_type": _("按主体类型"),
        "by_township": _("按乡镇"),
        "reasons": _("拒绝原因"),
        "link_note": _("一笔需求与几家银行对接，就在几家银行各计一次，各行相加可能多于合计。"),
        "unit_needs": _("笔"),
        "unit_amount": _("万元"),
        "amount_wan": _("授信金额（万元）"),
        "lines_granted": _("整村授信户数"),
        "lines_amount": _("整村授信额度（元）"),
        "lines_taken_up": _("已用信户数"),
        "lines_taken_amount": _("已用信额度（元）"),
        "village_lines": _("整村授信"),
    }


def definitions() -> list[str]:
    """What each figure counts, as the page and the export state it."""
    return [
        _(
            "统计口径：按需求发布日期（县域日历）归入所选期间和月份，其后的匹配、抢单、审批结果随需求一并统计。"
        ),
        _(
            "发布需求：期间内发布的融资需求（含已撤回）。选定银行时（银行用户始终如此），只计与该行在架产品匹配、或被该行抢单、作出决定的需求。"
        ),
        _("已匹配：撮合曾找到至少一款全部硬性条件都符合的在架产品，或已有银行抢单、作出决定。"),
        _("已抢单：有银行抢单或作出决定。已获批：有银行批准；授信金额为批准金额之和。"),
        _(
            "首贷户：本期获批的贷款是该主体的第一笔贷款——此前没有任何银行在平台上批准过它的贷款，部门数据（银行贷款台账）中也没有在需求发布日之前发放的贷款。每个主体只计一次。"
        ),
        _("平均办理天数：从发布需求到第一次批准或拒绝的天数，按已有批准或拒绝决定的需求平均。"),
        _("拒绝原因：每一笔拒绝决定计一次（两家银行都拒绝则计两次）。"),
        _(
            "整村授信：期间内复核通过（按通过日期，县域日历）的整村授信批次中给农户的预授信额度户数与金额（含其后撤回的）；已用信：其中农户已一键转为融资需求的户数与额度。不计入上面的需求数字。"
        ),
    ]


def _names(townships: dict[str, str], bank_names: dict[int, str]) -> dict[str, dict]:
    return {
        "bank": bank_names,
        "product_type": {
            **{str(k): _(v) for k, v in PRODUCT_TYPE_LABELS.items()},
            NO_PRODUCT: _("未指定产品"),
        },
        "subject_type": {k: _(v) for k, v in SUBJECT_TYPE_LABELS.items()},
        "township": townships,
        "reason": {k: _(v) for k, v in REJECTION_REASONS.items()},
    }


def _compute() -> tuple[Viewer, Parsed, Figures, dict, dict]:
    viewer = _viewer()
    townships = _townships(viewer)
    if current_user.scope.level == RegionLevel.COUNTY:
        # Firms registered at the county itself have no township: a row (and choice) of theirs.
        townships[current_user.scope_code] = _("县本级（未落到乡镇）")
    banks = _banks()
    parsed = parse_filters(
        request.args,
        clock.today(),
        banks=set(banks) if viewer.bank_id is None else None,
        product_types={str(k) for k in PRODUCT_TYPE_LABELS},
        subject_types=set(SUBJECT_TYPE_LABELS),
        townships=set(townships),
    )
    filters = parsed.filters
    if viewer.bank_id is not None:  # an officer: his bank, whatever the query string says
        filters = replace(filters, bank_id=viewer.bank_id)
        parsed = Parsed(filters, parsed.errors)
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai"
    figures = combine(read_grouped(viewer.low, viewer.high, filters, zone), filters)
    if viewer.bank_id is not None:
        banks = {viewer.bank_id: banks.get(viewer.bank_id, "")}
    return viewer, parsed, figures, townships, banks


def _summary(
    viewer: Viewer, parsed: Parsed, figures: Figures, names: dict
) -> list[tuple[str, Any]]:
    f, t, labels = parsed.filters, figures.totals, _labels()
    everything = _("全部")
    return [
        (_("统计范围"), viewer.scope_name),
        (_("期间"), f"{f.date_from.isoformat()} — {f.date_to.isoformat()}"),
        (labels["bank"], names["bank"].get(f.bank_id, everything) if f.bank_id else everything),
        (labels["product_type"], names["product_type"].get(f.product_type or "", everything)),
        (labels["subject_type"], names["subject_type"].get(f.subject_type or "", everything)),
        (labels["township"], names["township"].get(f.township or "", everything)),
        (labels["posted"], t["posted"]),
        (labels["matched"], t["matched"]),
        (labels["claimed"], t["claimed"]),
        (labels["approved"], t["approved"]),
        (labels["amount"], t["amount"]),
        (labels["first_loans"], t["first_loans"]),
        (labels["avg_days"], t["avg_days"]),
        (labels["rejected"], t["rejected"]),
        (labels["lines_granted"], t["lines_granted"]),
        (labels["lines_amount"], t["lines_amount"]),
        (labels["lines_taken_up"], t["lines_taken_up"]),
        (labels["lines_taken_amount"], t["lines_taken_amount"]),
    ]


def _charts(figures: Figures, tables: list[Table]) -> dict[str, Any]:
    labels = _labels()
    funnel = ("posted", "matched", "claimed", "approved")
    banks = ("matched", "claimed", "approved")
    by_key = {t.key: [row[0] for row in t.rows] for t in tables}
    return {
        "month": funnel_bars(figures.by_month, by_key["month"], labels, funnel),
        "bank": funnel_bars(figures.by_bank, by_key["bank"], labels, banks),
        "product_type": funnel_bars(figures.by_product_type, by_key["product_type"], labels, banks),
        "subject_type": funnel_bars(
            figures.by_subject_type, by_key["subject_type"], labels, funnel
        ),
        "township": funnel_bars(figures.by_township, by_key["township"], labels, funnel),
        "reasons": reasons_pie(figures.reasons, by_key["reasons"]),
    }


@bp.get("")
@login_required
def index():
    viewer, parsed, figures, townships, banks = _compute()
    names = _names(townships, banks)
    tables = build_tables(figures, names, _labels())
    return render_template(
        "loans/statistics/index.html",
        viewer=viewer,
        filters=parsed.filters,
        errors=parsed.errors,
        figures=figures,
        tables_by_key={t.key: t for t in tables},
        charts=_charts(figures, tables),
        labels=_labels(),
        definitions=definitions(),
        townships=townships,
        banks=banks,
        product_types={k: v for k, v in names["product_type"].items() if k != NO_PRODUCT},
        subject_types=names["subject_type"],
    ), (400 if parsed.errors else 200)


@bp.get("/export.xlsx")
@login_required
def export():
    viewer, parsed, figures, townships, banks = _compute()
    names = _names(townships, banks)
    tables = build_tables(figures, names, _labels())
    summary = _summary(viewer, parsed, figures, names)
    record_event(
        "loan_statistics.export",
        "loan_statistics",
        None,
        summary=f"{summary[1][1]} {summary[2][1]}",
        changes={k: str(v) for k, v in parsed.filters.__dict__.items()},
    )
    db.session.commit()
    stem = f"信易贷统计-{viewer.scope_name}-{parsed.filters.date_from}-{parsed.filters.date_to}"
    return send_file(
        BytesIO(statistics_workbook(summary, definitions(), tables, _("汇总"))),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{stem}.xlsx",
    )
