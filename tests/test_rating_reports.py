"""Rating dashboards and exports: a credit office sees, for its scope and a chosen run, how
households spread over the grades per village and township, the shares of 信用户 / 信用村 /
信用乡镇 and their course over the years, and which villages are closest to 信用村 and what
they lack; it downloads the results as XLSX (IDs masked) and as a PDF report in Chinese."""

import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from agri_credit.rating_cycle.reports.services import (
    closest_villages,
    default_run,
    run_figures,
    yearly_shares,
)
from agri_credit.rating_cycle.rulesets.services import ensure_default_rule_set
from models import (
    AuditEvent,
    ExportJob,
    Household,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    Role,
    RunStatus,
    User,
    db,
)
from tests import factories as f
from tests.conftest import csrf_token, login
from tests.test_departmental_pages import redis_queue  # noqa: F401 - fixture

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VILLAGE_D = "610528100003"  # 东坡村, 庄里镇
OTHER_COUNTY, OTHER_TOWNSHIP, OTHER_VILLAGE = "610526000000", "610526100000", "610526100001"
BREAKDOWN = {
    "household_size": 6.0,
    "labour_count": 6.0,
    "total_assets": 11.0,
    "net_assets": 11.0,
    "coop_shares": 0.0,
    "net_income": 12.0,
    "evaluation": 30.0,
    "repayment": None,  # no loan data in the run
}
# (grade, score, gate reason) of each household in the 2025 run, by village.
GRADES_2025 = {
    f.VILLAGE_A: [("AAA", 85), ("AA", 72), (None, 55), (None, 78, "被列为失信被执行人")],
    f.VILLAGE_B: [("AAA", 90), ("A", 61), ("A", 65)],
    VILLAGE_D: [("AA", 75), ("A", 62), (None, 40)],
    f.VILLAGE_C: [(None, 30), (None, 45)],
}


def village_metrics(households: int, credit: int, registered: int | None = None) -> dict:
    registered = households if registered is None else registered
    return {
        "households": households,
        "credit_households": credit,
        "registered_households": registered,
        "credit_household_share": credit / households * 100,
        "file_coverage": households / registered * 100,
        "borrowers": 2,
        "borrowers_overdue": 0,
        "borrowers_not_overdue_share": 100.0,
        "loan_balance": 100_000.0,
        "npl_balance": 0.0,
        "new_npl_balance": 0.0,
        "npl_ratio": 0.0,
        "new_npl_ratio": 0.0,
        "has_loan_data": True,
    }


@dataclass
class County:
    office: User
    runs: dict[str, RatingRun]
    households: dict[str, list[Household]]
    id_numbers: list[str]


def make_run(
    office: User, year: int, *, region: str = f.COUNTY, status: str = RunStatus.PROPOSED, hour=9
) -> RatingRun:
    rule_set = ensure_default_rule_set(f.COUNTY)
    run = RatingRun(
        rule_set_id=rule_set.id,
        region_code=region,
        year=year,
        as_of=date(year, 12, 31),
        status=status,
        started_by_id=office.id,
        started_at=datetime(year + 1, 1, 10, hour),
        summary={"notes": ["尚无公共信用记录数据：失信被执行人、行政处罚仅按档案中的不良记录核查"]},
    )
    db.session.add(run)
    db.session.flush()
    return run


def rate(run: RatingRun, code: str, level: str, passed: bool, metrics=None, reasons=()) -> None:
    db.session.add(
        RegionRating(
            run_id=run.id,
            region_code=code,
            level=level,
            passed=passed,
            metrics=metrics or {},
            reasons=list(reasons),
        )
    )


def result(run: RatingRun, household: Household, grade: str | None, score: float, gate="") -> None:
    db.session.add(
        RatingResult(
            run_id=run.id,
            household_id=household.id,
            village_code=household.village_code,
            score=Decimal(str(score)),
            grade=grade,
            breakdown=BREAKDOWN,
            gate_reasons=gate,
            missing="还款记录" if grade is None else "",
        )
    )


def rate_villages(run: RatingRun, passed: dict[str, bool], townships: dict[str, bool]) -> None:
    for code, ok in passed.items():
        rate(run, code, RegionLevel.VILLAGE, ok, village_metrics(4, 3 if ok else 1))
    for code, ok in townships.items():
        rate(run, code, RegionLevel.TOWNSHIP, ok)


@pytest.fixture
def county(app, users, cipher) -> County:
    """Four villages rated in 2023, 2024 (plus a superseded 2024 run) and 2025, and a
    township run of 庄里镇 made after the county's 2025 run."""
    db.session.add(
        Region(code=VILLAGE_D, name="东坡村", level=RegionLevel.VILLAGE, parent_code=f.TOWNSHIP_A)
    )
    office = users["office"]
    households: dict[str, list[Household]] = {}
    id_numbers = []
    for code, grades in GRADES_2025.items():
        households[code] = []
        for i in range(len(grades)):
            id_number = f.make_id_number()
            id_numbers.append(id_number)
            name = {f.VILLAGE_A: "杨", f.VILLAGE_B: "李", VILLAGE_D: "东", f.VILLAGE_C: "何"}[code]
            households[code].append(
                f.make_household(
                    cipher,
                    users["cadre"],
                    village_code=code,
                    head_name=f"{name}户{i + 1}",
                    head_id_number=id_number,
                )
            )

    runs = {}
    run = runs["2023"] = make_run(office, 2023, status=RunStatus.APPROVED)
    rate_villages(
        run,
        {f.VILLAGE_A: False, f.VILLAGE_B: True, VILLAGE_D: False, f.VILLAGE_C: False},
        {f.TOWNSHIP_A: False, f.TOWNSHIP_B: False},
    )
    result(run, households[f.VILLAGE_A][0], "AA", 75)
    result(run, households[f.VILLAGE_A][1], None, 50)

    run = runs["2024-superseded"] = make_run(office, 2024, status=RunStatus.SUPERSEDED, hour=8)
    rate_villages(run, dict.fromkeys(GRADES_2025, True), {f.TOWNSHIP_A: True, f.TOWNSHIP_B: True})
    run = runs["2024"] = make_run(office, 2024, status=RunStatus.APPROVED)
    rate_villages(
        run,
        {f.VILLAGE_A: True, f.VILLAGE_B: True, VILLAGE_D: True, f.VILLAGE_C: False},
        {f.TOWNSHIP_A: True, f.TOWNSHIP_B: False},
    )
    for household, grade in zip(households[f.VILLAGE_B], ("AAA", "AA", "A"), strict=True):
        result(run, household, grade, 80)
    result(run, households[f.VILLAGE_C][0], None, 40)

    run = runs["2025"] = make_run(office, 2025)
    for code, grades in GRADES_2025.items():
        for household, (grade, score, *gate) in zip(households[code], grades, strict=True):
            result(run, household, grade, score, *gate)
    a = village_metrics(4, 2)
    rate(run, f.VILLAGE_A, RegionLevel.VILLAGE, False, a, ["信用户占比 50.0%，低于 70%"])
    rate(run, f.VILLAGE_B, RegionLevel.VILLAGE, True, village_metrics(3, 3))
    d = village_metrics(3, 2)
    rate(run, VILLAGE_D, RegionLevel.VILLAGE, False, d, ["信用户占比 66.6%，低于 70%"])
    c = village_metrics(2, 0, registered=4)
    reasons = ["信用户占比 0.0%，低于 70%", "建档率 50.0%，低于 90%"]
    rate(run, f.VILLAGE_C, RegionLevel.VILLAGE, False, c, reasons)
    rate(run, f.TOWNSHIP_A, RegionLevel.TOWNSHIP, False, reasons=["信用村占比 33.3%，低于 50%"])
    rate(run, f.TOWNSHIP_B, RegionLevel.TOWNSHIP, False, reasons=["信用村占比 0.0%，低于 50%"])
    rate(run, f.COUNTY, RegionLevel.COUNTY, False, reasons=["信用村占比 25.0%，低于 60%"])

    run = runs["2025-township"] = make_run(office, 2025, region=f.TOWNSHIP_A, hour=15)
    rate_villages(
        run, {f.VILLAGE_A: True, f.VILLAGE_B: True, VILLAGE_D: True}, {f.TOWNSHIP_A: True}
    )
    db.session.commit()
    return County(office, runs, households, id_numbers)


def charts(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(m)) for m in re.findall(r"data-chart='([^']*)'", page)]


def series(chart: dict[str, Any]) -> dict[str, list]:
    return {s["name"]: s["data"] for s in chart["series"]}


def test_grade_distribution_per_village_and_township(county, users):
    figures = run_figures(county.runs["2025"], users["office"])
    assert figures.grades == ["AAA", "AA", "A", "未达标", "一票否决"]
    villages = figures.villages.set_index("village_name")
    assert villages.loc["杨家村", ["AAA", "AA", "A", "未达标", "一票否决"]].tolist() == [
        1,
        1,
        0,
        1,
        1,
    ]
    assert villages.loc["杨家村", "credit_share"] == 50.0
    assert villages.loc["河湾村", "township_name"] == "张桥镇"
    townships = figures.townships.set_index("township_name")
    assert townships.loc["庄里镇", ["AAA", "AA", "A", "未达标", "一票否决"]].tolist() == [
        2,
        2,
        3,
        2,
        1,
    ]
    assert townships.loc["庄里镇", "credit_share"] == 70.0
    assert townships.loc["庄里镇", "credit_village_count"] == 1
    totals = figures.totals
    assert (totals["households"], totals["credit_households"]) == (12, 7)
    assert totals["credit_household_share"] == pytest.approx(58.33, abs=0.01)  # 7 / 12
    assert (totals["credit_villages"], totals["villages"], totals["credit_village_share"]) == (
        1,
        4,
        25.0,
    )
    assert (totals["credit_townships"], totals["townships"]) == (0, 2)
    assert totals["county_passed"] is False


def test_dashboard_draws_the_stacked_bars_with_locally_served_echarts(county, as_office):
    page = as_office.get("/ratings/dashboard").get_data(as_text=True)
    assert "/vendor/echarts/echarts.min.js" in page and "cdn" not in page.lower()
    found = {tuple(c["xAxis"]["data"]): c for c in charts(page) if c["series"][0]["type"] == "bar"}
    by_village = found[("杨家村", "西坡村", "东坡村", "河湾村")]
    assert all(s["stack"] == "grades" for s in by_village["series"])
    assert series(by_village)["AAA"] == [1, 1, 0, 0]
    assert series(by_village)["一票否决"] == [1, 0, 0, 0]
    by_township = found[("庄里镇", "张桥镇")]
    assert series(by_township)["A"] == [3, 0]
    assert "58.3%" in page and "25.0%" in page  # 信用户 and 信用村 shares


def test_shares_over_the_years_use_the_latest_current_run_of_each_year(county, users):
    years = yearly_shares(users["office"])
    assert years["year"].tolist() == [2023, 2024, 2025]
    # The superseded 2024 run (every township a 信用乡镇) is not counted, nor is the
    # township's own 2025 run, which does not cover the county.
    assert years["credit_township_share"].tolist() == [0.0, 50.0, 0.0]
    assert years["credit_village_share"].tolist() == [25.0, 75.0, 25.0]
    assert years["credit_household_share"].tolist() == [50.0, 75.0, 58.3]
    assert years["run_id"].tolist() == [county.runs[y].id for y in ("2023", "2024", "2025")]

    # For 庄里镇 the latest run of 2025 is its own, made after the county's.
    township = yearly_shares(users["township"])
    assert township["run_id"].tolist()[-1] == county.runs["2025-township"].id
    assert township["credit_village_share"].tolist() == [pytest.approx(33.3), 100.0, 100.0]
    assert township["credit_township_share"].tolist() == [0.0, 100.0, 100.0]


def test_dashboard_line_shows_one_point_per_year(county, as_office):
    page = as_office.get("/ratings/dashboard").get_data(as_text=True)
    line = next(c for c in charts(page) if c["series"][0]["type"] == "line")
    assert line["xAxis"]["data"] == ["2023", "2024", "2025"]
    assert series(line)["信用乡镇占比"] == [0.0, 50.0, 0.0]


def test_a_single_year_is_drawn_as_labelled_bars_not_an_empty_line(users, cipher, as_office):
    household = f.make_household(cipher, users["cadre"])
    run = make_run(users["office"], 2025, status=RunStatus.APPROVED)
    rate_villages(run, {f.VILLAGE_A: True, f.VILLAGE_B: False}, {f.TOWNSHIP_A: True})
    result(run, household, "AA", 80)
    db.session.commit()
    page = as_office.get(f"/ratings/dashboard?run={run.id}").get_data(as_text=True)
    trend = next(c for c in charts(page) if c["xAxis"].get("data") == ["2025"])
    assert {s["type"] for s in trend["series"]} == {"bar"}
    assert all(s["label"]["show"] and s["label"]["formatter"] == "{c}%" for s in trend["series"])
    assert series(trend)["信用村占比"] == [50.0]


def test_villages_closest_to_credit_village_come_first_with_what_they_lack(county, users):
    closest = closest_villages(run_figures(county.runs["2025"], users["office"]))
    assert [v.village_name for v in closest] == ["东坡村", "杨家村", "河湾村"]
    east, yang, he = closest
    assert (east.missed, east.shortfall) == (1, pytest.approx(3.3, abs=0.05))
    assert east.lacks == ["还需 1 户评为信用户（信用户占比 66.7%，需达 70%）"]
    assert yang.lacks == ["还需 1 户评为信用户（信用户占比 50.0%，需达 70%）"]
    assert he.missed == 2
    assert he.lacks == [
        "还需 2 户评为信用户（信用户占比 0.0%，需达 70%）",
        "还需为 2 户建立信用档案（建档率 50.0%，需达 90%）",
    ]
    assert he.reasons == ["信用户占比 0.0%，低于 70%", "建档率 50.0%，低于 90%"]


def test_a_threshold_without_data_ranks_a_village_as_far_off(county, users):
    run = county.runs["2025"]
    east = db.session.query(RegionRating).filter_by(run_id=run.id, region_code=VILLAGE_D).one()
    east.metrics = {**east.metrics, "npl_ratio": None}
    db.session.commit()
    closest = closest_villages(run_figures(run, users["office"]))
    # Two thresholds missed, one of them unknown: after the village that misses two by a
    # known margin.
    assert [v.village_name for v in closest] == ["杨家村", "河湾村", "东坡村"]
    assert closest[2].missed == 2 and closest[2].shortfall == float("inf")
    assert "不良贷款率：无数据" in closest[2].lacks


def test_dashboard_page_lists_the_closest_villages_in_order(county, as_office):
    page = as_office.get("/ratings/dashboard").get_data(as_text=True)
    section = page[page.index("最接近信用村的村") :]
    assert section.index("东坡村") < section.index("杨家村") < section.index("河湾村")
    assert "还需为 2 户建立信用档案" in section
    assert re.search(r'href="/ratings/runs/\d+/villages/\d{12}"', section)  # opens its results


def test_a_chosen_run_is_shown_and_another_countys_run_is_a_404(county, as_office, users):
    page = as_office.get(f"/ratings/dashboard?run={county.runs['2024'].id}").get_data(as_text=True)
    assert "2024年度" in page and "75.0%" in page
    db.session.add_all(
        [
            Region(code=OTHER_COUNTY, name="蒲城县", level=RegionLevel.COUNTY, parent_code=f.CITY),
            Region(
                code=OTHER_TOWNSHIP,
                name="城关镇",
                level=RegionLevel.TOWNSHIP,
                parent_code=OTHER_COUNTY,
            ),
        ]
    )
    db.session.flush()
    other = make_run(users["office"], 2025, region=OTHER_TOWNSHIP)
    db.session.commit()
    assert as_office.get(f"/ratings/dashboard?run={other.id}").status_code == 404
    assert as_office.get(f"/ratings/runs/{other.id}/results.xlsx").status_code == 404
    assert as_office.get(f"/ratings/runs/{other.id}/report.pdf").status_code == 404


def test_every_page_of_a_run_out_of_reach_is_the_same_404(county, as_office, users):
    """One scoped lookup serves every route: the run, review, publication and report pages
    of a run the office's scope does not reach all answer 404 with the reason."""
    db.session.add_all(
        [
            Region(code=OTHER_COUNTY, name="蒲城县", level=RegionLevel.COUNTY, parent_code=f.CITY),
            Region(
                code=OTHER_TOWNSHIP,
                name="城关镇",
                level=RegionLevel.TOWNSHIP,
                parent_code=OTHER_COUNTY,
            ),
        ]
    )
    db.session.flush()
    other = make_run(users["office"], 2025, region=OTHER_TOWNSHIP)
    db.session.commit()
    for method, url in [
        ("get", f"/ratings/runs/{other.id}"),
        ("get", f"/ratings/review/{other.id}"),
        ("post", f"/ratings/review/{other.id}/approve"),
        ("post", f"/ratings/runs/{other.id}/rerun"),
        ("get", f"/ratings/dashboard?run={other.id}"),
    ]:
        response = getattr(as_office, method)(url)
        assert response.status_code == 404, url
        assert "页面不存在，或不在您的管辖范围内" in response.get_data(as_text=True), url


def test_township_office_and_cadre_see_only_their_part(county, client, users):
    assert default_run(users["township"]).id == county.runs["2025-township"].id
    login(client, "office_town")
    page = client.get(f"/ratings/dashboard?run={county.runs['2025'].id}").get_data(as_text=True)
    assert "东坡村" in page and "河湾村" not in page
    client.post("/logout")
    login(client, "cadre_a")
    page = client.get(f"/ratings/dashboard?run={county.runs['2025'].id}").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" not in page and "河湾村" not in page
    book = load_workbook(
        io.BytesIO(client.get(f"/ratings/runs/{county.runs['2025'].id}/results.xlsx").data)
    )
    names = [row[2] for row in book["农户评定结果"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["杨户1", "杨户2", "杨户3", "杨户4"]
    assert [r[1] for r in book["信用村"].iter_rows(min_row=2, values_only=True)] == ["杨家村"]
    assert list(book["信用乡镇"].iter_rows(min_row=2, values_only=True)) == []


@pytest.mark.parametrize("username", ["officer", "applicant"])
def test_banks_and_applicants_have_no_rating_dashboard(county, client, username):
    login(client, username)
    assert client.get("/ratings/dashboard").status_code == 403
    assert client.get(f"/ratings/runs/{county.runs['2025'].id}/report.pdf").status_code == 403


def test_dashboard_without_any_run_says_so(as_office):
    page = as_office.get("/ratings/dashboard").get_data(as_text=True)
    assert "尚无信用评定结果" in page and "echarts" not in page


def test_xlsx_holds_grades_scores_points_and_reasons_with_ids_masked(county, as_office, cipher):
    entity = f.make_entity(cipher, county.office, village_code=f.VILLAGE_B)
    db.session.add(
        RatingResult(
            run_id=county.runs["2025"].id,
            entity_id=entity.id,
            village_code=f.VILLAGE_B,
            score=Decimal("74.5"),
            grade="AA",
            breakdown={"years_operating": 10.0, "member_count": 8.0},
        )
    )
    db.session.commit()
    run_id = county.runs["2025"].id
    response = as_office.get(f"/ratings/runs/{run_id}/results.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    # An ASCII name that says what the file is, beside the Chinese one (RFC 6266 filename*)
    assert f'filename="rating-results-2025-{f.COUNTY}-run{run_id}.xlsx"' in disposition
    assert "filename*=UTF-8''%E4%BF%A1%E7%94%A8%E8%AF%84%E5%AE%9A" in disposition  # 信用评定
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["说明", "农户评定结果", "经营主体评定结果", "信用村", "信用乡镇"]

    sheet = book["农户评定结果"]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["乡镇", "村", "户主", "身份证号（脱敏）", "总分", "等级"]
    assert "家庭人口（8分）" in header and "村评议品行（30分）" in header
    rows = {
        r[2]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == 12
    gated = rows["杨户4"]
    assert (gated["等级"], gated["总分"], gated["否决原因"]) == (
        "一票否决",
        78,
        "被列为失信被执行人",
    )
    assert rows["杨户1"]["等级"] == "AAA" and rows["杨户1"]["村评议品行（30分）"] == 30
    assert rows["杨户1"]["还款记录（10分）"] is None  # not counted in this run
    assert rows["杨户1"]["乡镇"] == "庄里镇" and rows["杨户1"]["状态"] == "拟评定"
    first_id = county.id_numbers[0]
    assert rows["杨户1"]["身份证号（脱敏）"] == first_id[:4] + "*" * 10 + first_id[-4:]
    cells = [str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v]
    assert not any(number in cell for number in county.id_numbers for cell in cells)
    assert not any(entity.uscc in cell for cell in cells)

    entities = list(book["经营主体评定结果"].iter_rows(values_only=True))
    assert entities[1][2] == entity.name and entities[1][3] == "农民专业合作社"
    assert "经营年限" in entities[0] and entities[1][entities[0].index("经营年限")] == 10

    villages = {r[1]: r for r in book["信用村"].iter_rows(min_row=2, values_only=True)}
    assert villages["西坡村"][-2] == "达标"
    assert villages["河湾村"][-2:] == (
        "未达标",
        "信用户占比 0.0%，低于 70%；建档率 50.0%，低于 90%",
    )
    info = dict(book["说明"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert info["评定办法"].endswith("第 1 版") and info["信用村"] == "1 / 4"
    assert db.session.query(AuditEvent).filter_by(action="rating.export").count() == 1


def test_pdf_report_is_chinese_text_in_an_embedded_font(county, as_office):
    response = as_office.get(f"/ratings/runs/{county.runs['2025'].id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "富平县2025年度信用户、信用村、信用乡镇评定报告",
        "信用村评定",
        "杨家村",
        "西坡村",
        "东坡村",
        "河湾村",
        "庄里镇",
        "达标",
        "未达标",
        "建档率 50.0%，低于 90%",
        "一票否决",
    ):
        assert expected in text, expected

    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all("NotoSansSC" in name for name in fonts)
    for font in fonts.values():
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType glyphs travel inside the file
        assert "/ToUnicode" in font  # and map back to text


def test_pdf_of_a_township_covers_only_its_villages(county, client):
    login(client, "office_town")
    response = client.get(f"/ratings/runs/{county.runs['2025'].id}/report.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "（庄里镇）" in text and "东坡村" in text and "河湾村" not in text


# ---- a large export as a background job (issue 12 point 19) ------------------------------------


def _cells(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def test_a_large_export_runs_as_a_job_whose_file_is_the_direct_exports(
    county, client, users, csrf_on, app, monkeypatch
):
    from freezegun import freeze_time

    others = {
        "office_county_2": f.make_user("office_county_2", Role.OFFICE, f.COUNTY),
        "office_town": users["township"],
    }
    db.session.commit()
    run_id = county.runs["2025"].id
    login(client, "office_county")
    # Both files written at one moment (their 导出时间), a little ahead of the CSRF token's.
    moment = datetime.now(UTC) + timedelta(minutes=1)
    with freeze_time(moment):
        direct = client.get(f"/ratings/runs/{run_id}/results.xlsx")
    assert direct.status_code == 200 and direct.mimetype == XLSX

    # The same county office, now above the threshold: the link leads to a page, not a file.
    monkeypatch.setitem(app.config, "EXPORT_JOB_MIN_ROWS", 5)
    page = client.get(f"/ratings/runs/{run_id}/results.xlsx")
    assert page.mimetype == "text/html" and "后台生成" in page.get_data(as_text=True)
    assert db.session.query(ExportJob).count() == 0  # the GET started nothing
    start = f"/ratings/runs/{run_id}/results-export"
    assert client.post(start).status_code == 400  # no CSRF token
    token = csrf_token(page.get_data(as_text=True))
    with freeze_time(moment):
        started = client.post(start, data={"csrf_token": token})
    assert started.status_code == 302
    job = db.session.query(ExportJob).one()
    assert started.headers["Location"].endswith(f"/ratings/exports/{job.id}")
    assert (job.status, job.rows, job.requested_by_id) == ("done", 12, users["office"].id)

    shown = client.get(f"/ratings/exports/{job.id}").get_data(as_text=True)
    download_url = f"/ratings/exports/{job.id}/download"
    assert download_url in shown
    assert client.get(f"/ratings/exports/{job.id}/progress").get_json()["finished"] is True
    downloaded = client.get(download_url)
    assert downloaded.status_code == 200 and downloaded.mimetype == XLSX
    assert downloaded.headers["Content-Disposition"] == direct.headers["Content-Disposition"]
    assert _cells(downloaded.data) == _cells(direct.data)
    # Journalled like the direct export: one event for each file handed out.
    events = db.session.query(AuditEvent).filter_by(action="rating.export").all()
    assert len(events) == 2 and events[0].summary == events[1].summary

    # Nobody else fetches it: not another office of the same county, not the township.
    for username in others:
        dashboard = client.get("/dashboard").get_data(as_text=True)
        assert client.post("/logout", data={"csrf_token": csrf_token(dashboard)}).status_code == 302
        login(client, username)
        for url in (
            download_url,
            f"/ratings/exports/{job.id}",
            f"/ratings/exports/{job.id}/progress",
        ):
            assert client.get(url).status_code == 404, (username, url)
    assert db.session.query(AuditEvent).filter_by(action="rating.export").count() == 2


def test_an_export_job_another_user_starts_holds_only_his_scope(
    county, client, users, app, monkeypatch
):
    monkeypatch.setitem(app.config, "EXPORT_JOB_MIN_ROWS", 0)
    login(client, "office_town")
    run_id = county.runs["2025"].id
    started = client.post(f"/ratings/runs/{run_id}/results-export")
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    cells = _cells(client.get(f"/ratings/exports/{job_id}/download").data)
    villages = [r[1] for r in cells["信用村"][1:]]
    assert "东坡村" in villages and "河湾村" not in villages
    assert db.session.get(ExportJob, job_id).scope_code == f.TOWNSHIP_A


def test_with_redis_the_export_runs_on_a_worker_and_reports_progress(
    county,
    client,
    app,
    monkeypatch,
    redis_queue,  # noqa: F811 - the imported fixture
):
    from rq import SimpleWorker

    monkeypatch.setitem(app.config, "EXPORT_JOB_MIN_ROWS", 5)
    login(client, "office_county")
    run_id = county.runs["2025"].id
    started = client.post(f"/ratings/runs/{run_id}/results-export")
    job = db.session.query(ExportJob).one()
    assert job.status == "queued" and job.job_id.startswith(f"export-{job.id}-")
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert 'id="score-job-card"' in page and "score_job_progress.js" in page
    assert client.get(f"/ratings/exports/{job.id}/progress").json["finished"] is False
    assert client.get(f"/ratings/exports/{job.id}/download").status_code == 404  # not yet

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    state = client.get(f"/ratings/exports/{job.id}/progress").json
    assert state["finished"] is True and state["status"] == "done", state
    downloaded = client.get(f"/ratings/exports/{job.id}/download")
    households = _cells(downloaded.data)["农户评定结果"]
    assert len(households) == 1 + 12
