"""The data-coverage dashboard: how much of a region's credit files the departments' data
reaches, how fresh each source is and how much of it found its file, per child region."""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from agri_credit.dashboard.coverage_frames import load_coverage_frames
from agri_credit.dashboard.data_coverage import summarise_data_coverage
from models import (
    BatchStatus,
    Enterprise,
    Household,
    ImportBatch,
    Region,
    Source,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    db,
)
from tests import factories as f
from tests.conftest import login

COUNTY_IMPORT = datetime(2025, 3, 10, 9, 30)
TOWNSHIP_IMPORT = datetime(2025, 4, 2, 15, 0)
GAS_IMPORT = datetime(2025, 3, 20, 8, 0)


def batch(
    user,
    source: Source,
    scope_code: str,
    *,
    status=BatchStatus.IMPORTED,
    finished_at=None,
    inserted: int = 0,
):
    made = ImportBatch(
        source=source.value,
        user_id=user.id,
        scope_code=scope_code,
        filename=f"{source.value}.xlsx",
        sha256=hashlib.sha256(f"{source}{scope_code}{finished_at}".encode()).hexdigest(),
        status=status,
        finished_at=finished_at,
        rows_inserted=inserted,
    )
    db.session.add(made)
    db.session.flush()
    return made


def key_for(*, household=None, entity=None, enterprise=None, unmatched: str = "") -> SubjectKey:
    """The key a department's row is filed under; `unmatched`: a number nobody has a file for."""
    if household is not None:
        key = SubjectKey(id_hash=household.head_id_hash, masked="masked", household_id=household.id)
    elif entity is not None:
        key = SubjectKey(uscc=entity.uscc, masked=entity.uscc, entity_id=entity.id)
    elif enterprise is not None:
        key = SubjectKey(uscc=enterprise.uscc, masked=enterprise.uscc, enterprise_id=enterprise.id)
    elif len(unmatched) == 18 and not unmatched[:17].isdigit():
        key = SubjectKey(uscc=unmatched, masked=unmatched)
    else:
        key = SubjectKey(id_hash=hashlib.sha256(unmatched.encode()).hexdigest(), masked="x")
    db.session.add(key)
    db.session.flush()
    return key


def utility(source: Source, batch_, key, year: int, month: int, superseded_by=None) -> None:
    db.session.add(
        UtilityRecord(
            batch_id=batch_.id,
            superseded_by_id=superseded_by.id if superseded_by else None,
            subject_key_id=key.id,
            utility=source.value,
            account_no=f"{key.id}",
            year=year,
            month=month,
            consumption=Decimal("120"),
            billed=Decimal("66.50"),
            fingerprint=year * 100 + month,
        )
    )


def tax(batch_, key, year: int, month: int = 0) -> None:
    db.session.add(
        TaxRecord(
            batch_id=batch_.id,
            subject_key_id=key.id,
            year=year,
            month=month,
            tax_paid=Decimal("1200"),
            tax_grade="B",
            fingerprint=1,
        )
    )


@pytest.fixture
def county_data(app, users, cipher):
    """Four households in three villages of two townships, one cooperative, one SME.

    杨家村 reports 4 registered households and has 2 files; 西坡村 reports none and has 1;
    河湾村 reports 4 and has 1. Electricity (a county-wide import) reaches two households
    and brings one number nobody has a file for; tax (a 庄里镇 import) reaches the
    cooperative and brings another unknown number. A superseded water row and a rolled-back
    gas batch must not count.
    """
    db.session.get(Region, f.VILLAGE_A).registered_households = 4
    db.session.get(Region, f.VILLAGE_C).registered_households = 4
    h1 = f.make_household(cipher, users["cadre"], head_name="杨一")
    h2 = f.make_household(cipher, users["cadre"], head_name="杨二")
    h3 = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李三")
    h4 = f.make_household(cipher, users["office"], village_code=f.VILLAGE_C, head_name="张四")
    coop = f.make_entity(cipher, users["cadre"])
    sme = Enterprise(
        uscc=f.make_uscc(),
        name="富平县柿饼加工有限公司",
        region_code=f.COUNTY,
        county_code=f.COUNTY[:6],
    )
    db.session.add(sme)
    db.session.flush()
    keys = {name: key_for(household=h) for name, h in (("h1", h1), ("h2", h2), ("h3", h3))}
    keys["h4"] = key_for(household=h4)
    keys["coop"] = key_for(entity=coop)
    keys["sme"] = key_for(enterprise=sme)
    keys["stranger"] = key_for(unmatched="610528199001011234")
    keys["stranger_firm"] = key_for(unmatched=f.make_uscc())

    office, township = users["office"], users["township"]
    power = batch(office, Source.ELECTRICITY, f.COUNTY, finished_at=COUNTY_IMPORT, inserted=4)
    utility(Source.ELECTRICITY, power, keys["h1"], 2025, 1)
    utility(Source.ELECTRICITY, power, keys["h1"], 2025, 2)
    utility(Source.ELECTRICITY, power, keys["h3"], 2025, 2)
    utility(Source.ELECTRICITY, power, keys["stranger"], 2025, 2)

    # The second water file corrected 杨二's December bill: the first version is superseded.
    old_water = batch(office, Source.WATER, f.COUNTY, finished_at=datetime(2024, 1, 5), inserted=2)
    new_water = batch(office, Source.WATER, f.COUNTY, finished_at=datetime(2024, 2, 5))
    utility(Source.WATER, old_water, keys["h1"], 2023, 11)
    utility(Source.WATER, old_water, keys["h2"], 2023, 12, superseded_by=new_water)
    utility(Source.WATER, new_water, keys["h2"], 2023, 12)

    gas = batch(office, Source.GAS, f.COUNTY, finished_at=GAS_IMPORT, inserted=1)
    utility(Source.GAS, gas, keys["h4"], 2025, 3)
    # A later gas file was rolled back: its rows are gone and the March row is current again.
    batch(
        office,
        Source.GAS,
        f.COUNTY,
        status=BatchStatus.ROLLED_BACK,
        finished_at=datetime(2025, 5, 1),
    )

    taxes = batch(township, Source.TAX, f.TOWNSHIP_A, finished_at=TOWNSHIP_IMPORT, inserted=2)
    tax(taxes, keys["coop"], 2024)
    tax(taxes, keys["stranger_firm"], 2024)
    db.session.commit()
    return keys


def coverage_for(user, today=date(2025, 4, 20)):
    return summarise_data_coverage(load_coverage_frames(user), today=today)


def row_named(coverage, name):
    return next(r for r in coverage.table_rows if r.name == name and not r.own_level)


def source(coverage, which: Source):
    return next(s for s in coverage.sources if s.source == which.value)


def test_county_file_rate_leaves_unreported_villages_out_of_both_sides(county_data, users):
    coverage = coverage_for(users["office"])
    assert [r.name for r in coverage.rows] == ["庄里镇", "张桥镇", "富平县"]
    zhuangli = row_named(coverage, "庄里镇")
    assert (zhuangli.registered, zhuangli.households, zhuangli.unreported_villages) == (4, 3, 1)
    assert zhuangli.file_rate == pytest.approx(2 / 4)  # 西坡村's household is left out
    assert row_named(coverage, "张桥镇").file_rate == pytest.approx(1 / 4)
    assert coverage.total.file_rate == pytest.approx(3 / 8)
    assert coverage.total.households == 4 and coverage.total.entities == 1
    assert coverage.total.enterprises == 1


def test_source_shares_count_files_with_a_current_record_once(county_data, users):
    coverage = coverage_for(users["office"])
    electricity = source(coverage, Source.ELECTRICITY)
    assert electricity.shares["household"].count == 2  # h1 has two months, counted once
    assert electricity.shares["household"].ratio == pytest.approx(2 / 4)
    assert row_named(coverage, "庄里镇").sources["electricity"]["household"].ratio == (
        pytest.approx(2 / 3)
    )
    assert row_named(coverage, "张桥镇").sources["electricity"]["household"].ratio == 0
    tax_figures = source(coverage, Source.TAX)
    assert tax_figures.shares["entity"].ratio == 1.0
    assert tax_figures.shares["household"].count == 0


def test_superseded_rows_and_rolled_back_batches_do_not_count(county_data, users):
    coverage = coverage_for(users["office"])
    water = source(coverage, Source.WATER)
    assert water.shares["household"].count == 2
    assert (water.records, water.matched) == (2, 2)  # not the superseded first version
    assert water.latest_period == (2023, 12)
    gas = source(coverage, Source.GAS)
    assert gas.shares["household"].count == 1 and gas.records == 1
    assert gas.latest_period == (2025, 3)
    assert gas.last_import == GAS_IMPORT  # not the rolled-back batch's later date


def test_match_rate_and_unmatched_subjects_by_importing_scope(county_data, users):
    coverage = coverage_for(users["office"])
    electricity = source(coverage, Source.ELECTRICITY)
    assert (electricity.records, electricity.matched) == (4, 3)
    assert electricity.match_rate == pytest.approx(0.75)
    assert electricity.unmatched_subjects == 1
    assert source(coverage, Source.TAX).match_rate == pytest.approx(0.5)
    # The county-wide import's stranger stays with the county; the township's with it.
    county_own = next(r for r in coverage.rows if r.own_level)
    assert county_own.unmatched_subjects == 1 and county_own.enterprises == 1
    assert row_named(coverage, "庄里镇").unmatched_subjects == 1
    assert row_named(coverage, "张桥镇").unmatched_subjects == 0
    assert coverage.total.unmatched_subjects == 2


def test_freshness_shows_latest_period_and_last_import(county_data, users):
    coverage = coverage_for(users["office"])
    electricity = source(coverage, Source.ELECTRICITY)
    assert electricity.latest_period == (2025, 2)
    assert electricity.last_import == COUNTY_IMPORT
    tax_figures = source(coverage, Source.TAX)
    assert tax_figures.latest_period == (2024, 13)  # a whole-year record


def test_source_is_stale_when_its_latest_month_is_over_three_months_old(county_data, users):
    frames = load_coverage_frames(users["office"])
    on_time = summarise_data_coverage(frames, today=date(2025, 5, 31))
    late = summarise_data_coverage(frames, today=date(2025, 6, 1))
    assert not source(on_time, Source.ELECTRICITY).stale  # 2025-02 is three months back
    assert source(late, Source.ELECTRICITY).stale
    assert source(on_time, Source.WATER).stale
    nothing = source(late, Source.SOCIAL_INSURANCE)
    assert not nothing.stale and not nothing.has_data  # no data is not stale data


def test_yearly_figures_are_stale_only_once_the_next_year_is_overdue(county_data, users):
    frames = load_coverage_frames(users["office"])
    assert not source(summarise_data_coverage(frames, today=date(2025, 6, 1)), Source.TAX).stale
    assert not source(summarise_data_coverage(frames, today=date(2026, 3, 31)), Source.TAX).stale
    assert source(summarise_data_coverage(frames, today=date(2026, 4, 1)), Source.TAX).stale


def test_township_office_sees_its_villages_and_its_own_imports_only(county_data, users):
    coverage = coverage_for(users["township"])
    assert [r.name for r in coverage.rows if not r.own_level] == ["杨家村", "西坡村"]
    # The township's own tax import brought a number nobody has a file for.
    assert [r.unmatched_subjects for r in coverage.rows if r.own_level] == [1]
    assert coverage.total.households == 3 and coverage.total.enterprises == 0
    electricity = source(coverage, Source.ELECTRICITY)
    assert electricity.shares["household"].ratio == pytest.approx(2 / 3)
    assert electricity.records == 0  # the county's batch is not the township's to judge
    assert electricity.last_import == COUNTY_IMPORT  # but its date says how fresh data is
    assert coverage.total.unmatched_subjects == 1


def test_township_page_does_not_show_another_township(client, county_data, users):
    login(client, "office_town")
    page = client.get("/dashboard/data").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" in page
    assert "河湾村" not in page and "张桥镇" not in page


def test_cadre_sees_only_her_village(client, county_data, users):
    login(client, "cadre_a")
    coverage = coverage_for(users["cadre"])
    assert [r.name for r in coverage.table_rows] == ["杨家村"]
    assert coverage.total.households == 2
    assert coverage.total.sources["electricity"]["household"].ratio == pytest.approx(1 / 2)
    page = client.get("/dashboard/data").get_data(as_text=True)
    assert "杨家村" in page
    assert "西坡村" not in page and "庄里镇" not in page and "河湾村" not in page


def test_county_page_renders_in_chinese_with_the_figures(as_office, county_data):
    page = as_office.get("/dashboard/data").get_data(as_text=True)
    for text in (
        "数据覆盖",
        "建档率",
        "电费",
        "匹配率",
        "最近导入",
        "2025-03-10",
        "2025-02",
        "37.5%",
    ):
        assert text in page, text
    assert "75.0%" in page  # electricity match rate
    assert "1 个村未填报" in page
    assert "echarts.min.js" in page and "data-chart=" in page


def test_chart_library_is_served_locally(as_office, county_data):
    page = as_office.get("/dashboard/data").get_data(as_text=True)
    scripts = [part.split('"')[0] for part in page.split('<script src="')[1:]]
    chart_scripts = [src for src in scripts if "echarts" in src or "charts.js" in src]
    assert len(chart_scripts) == 2
    for src in chart_scripts:
        assert src.startswith("/") and as_office.get(src).status_code == 200


def test_stale_source_is_flagged_on_the_page(as_office, county_data):
    page = as_office.get("/dashboard/data").get_data(as_text=True)
    assert "超过3个月未更新" in page  # water data from 2023


def test_xlsx_export_has_the_page_figures(as_office, county_data, users):
    response = as_office.get("/dashboard/data.xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    regions = book["各区域"]
    header = [c.value for c in regions[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in regions.iter_rows(2, values_only=True)}
    assert set(rows) == {"庄里镇", "张桥镇", "富平县本级", "合计"}
    assert rows["庄里镇"]["建档率"] == pytest.approx(0.5)
    assert rows["庄里镇"]["未填报户籍户数的村"] == 1
    assert rows["合计"]["建档率"] == pytest.approx(3 / 8)
    assert rows["庄里镇"]["电费·农户覆盖率"] == pytest.approx(2 / 3)
    assert rows["富平县本级"]["未匹配主体"] == 1
    sources = book["各数据源"]
    header = [c.value for c in sources[1]]
    by_source = {
        r[0]: dict(zip(header, r, strict=True)) for r in sources.iter_rows(2, values_only=True)
    }
    assert by_source["电费"]["匹配率"] == pytest.approx(0.75)
    assert by_source["电费"]["最新数据期"] == "2025-02"
    assert by_source["水费"]["超过3个月未更新"] == "是"
    assert by_source["社保"]["最新数据期"] == "无数据"


def test_unreported_registered_households_read_as_not_reported(as_cadre, users, cipher):
    f.make_household(cipher, users["cadre"])
    db.session.commit()
    page = as_cadre.get("/dashboard/data").get_data(as_text=True)
    assert "未填报" in page and "无法计算建档率" in page


def test_county_without_departmental_data_still_shows_file_rate(as_office, users, cipher):
    db.session.get(Region, f.VILLAGE_A).registered_households = 5
    f.make_household(cipher, users["cadre"])
    db.session.commit()
    page = as_office.get("/dashboard/data").get_data(as_text=True)
    assert "本区域还没有部门数据" in page
    assert "20.0%" in page  # 1 of 5 registered households in 杨家村
    assert 'id="source-table"' not in page
    assert as_office.get("/dashboard/data.xlsx").status_code == 200


@pytest.mark.parametrize("username", ["officer", "applicant"])
def test_bank_officers_and_applicants_cannot_open_it(client, users, username):
    login(client, username)
    assert client.get("/dashboard/data").status_code == 403
    assert client.get("/dashboard/data.xlsx").status_code == 403


# ---- figures kept per state of the data (issue 12 point 19) -------------------------------------


def _county_totals(client) -> dict:
    book = load_workbook(BytesIO(client.get("/dashboard/data.xlsx").data))
    regions = book["各区域"]
    header = [c.value for c in regions[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in regions.iter_rows(2, values_only=True)}
    return rows["合计"]


def test_figures_are_computed_once_and_never_older_than_the_data(
    as_office, county_data, users, cipher, monkeypatch
):
    from agri_credit.dashboard import data_coverage

    computed = []
    real = data_coverage.load_coverage_frames
    monkeypatch.setattr(
        data_coverage, "load_coverage_frames", lambda user: computed.append(1) or real(user)
    )
    first = _county_totals(as_office)
    assert as_office.get("/dashboard/data").status_code == 200
    assert _county_totals(as_office) == first
    assert len(computed) == 1  # the data did not change: one computation for three reads
    assert (first["已建档农户"], first["电费·覆盖农户"], first["未匹配主体"]) == (4, 2, 2)

    # A file added: counted at once.
    f.make_household(cipher, users["cadre"], head_name="杨五")
    db.session.commit()
    assert _county_totals(as_office)["已建档农户"] == 5

    # The stranger's number gets its file linked: covered and no longer unmatched.
    h5 = db.session.scalar(db.select(Household).where(Household.head_name == "杨五"))
    county_data["stranger"].household_id = h5.id
    db.session.commit()
    totals = _county_totals(as_office)
    assert (totals["电费·覆盖农户"], totals["未匹配主体"]) == (3, 1)

    # A village reports its 户籍户数.
    db.session.get(Region, f.VILLAGE_B).registered_households = 10
    db.session.commit()
    assert _county_totals(as_office)["户籍户数"] == 18

    # The electricity import is rolled back: its records no longer count.
    power = db.session.scalar(db.select(ImportBatch).where(ImportBatch.source == "electricity"))
    db.session.execute(db.delete(UtilityRecord).where(UtilityRecord.batch_id == power.id))
    power.status = BatchStatus.ROLLED_BACK
    db.session.commit()
    assert _county_totals(as_office)["电费·覆盖农户"] == 0
    assert len(computed) == 5
