"""Numbers read the same everywhere: counts with thousands separators, rating scores with at
most two decimals, default-risk scores in whole points (pages, exports, PDFs); PDF charts step
their axes in round numbers and keep the bar labels clear of the bars."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.graphics import renderPDF

from agri_credit.number_formats import money, points, round_step, score, thousands
from agri_credit.rating_cycle.reports.exports import _grade_drawing, register_cjk_font
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import login


def test_the_formats():
    assert thousands(30000) == "30,000" and thousands(None) == "—"
    assert money(Decimal("1234567.8")) == "1,234,567.80"
    assert [score(v) for v in (Decimal("86.50"), Decimal("48.00"), 7.25, 0, None)] == [
        "86.5",
        "48",
        "7.25",
        "0",
        "—",
    ]
    assert points(612.6) == "613" and points(1234) == "1,234" and points(float("nan")) == "—"


@pytest.mark.parametrize(
    "maximum, step", [(3, 1), (7, 2), (59, 20), (120, 50), (364, 100), (2980, 1000)]
)
def test_axis_steps_are_round(maximum, step):
    assert round_step(maximum) == step


def test_pdf_grade_bars_have_round_ticks_and_labels_above_the_bars(app):
    register_cjk_font(app.config["ASSET_ROOT"])
    counts = [59, 1234, 7, 0]
    drawing = _grade_drawing(["AAA", "AA", "A", "B"], counts)
    chart = drawing.contents[0]
    page = PdfReader(io.BytesIO(renderPDF.drawToString(drawing))).pages[0]
    texts: list[tuple[str, float, float]] = []

    def collect(text, cm, tm, _font, _size):
        if text.strip():
            texts.append((text.strip(), cm[4] + tm[4], cm[5] + tm[5]))

    page.extract_text(visitor_text=collect)
    shown = [t for t, _x, _y in texts]
    assert shown[-4:] == ["0", "500", "1,000", "1,500"]  # the value axis, in households
    for count, (text, _x, y) in zip(counts, texts[:4], strict=True):
        assert text == thousands(count)
        bar_top = chart.y + chart.height * count / chart.valueAxis.valueMax
        assert y >= bar_top + 1, (text, y, bar_top)  # the label's baseline sits above the bar
        assert y + 7 <= chart.y + chart.height  # and inside the chart: headroom above the tallest


def test_pages_print_rating_scores_one_way(client, users, cipher):
    run = pf.make_run(users["office"])
    pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    pf.make_result(run, yang, "86.50", "AAA")
    pf.make_result(run, wang, "48.00", None)
    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}/villages/{f.VILLAGE_A}").get_data(as_text=True)
    assert ">86.5<" in page and ">48<" in page
    assert "86.50" not in page and "48.00" not in page
