"""The demo county comes with a year and more of departmental files, shaped like the ones real
departments send, and `flask seed-demo` imports them through the departmental importer."""

import codecs
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from agri_credit.demo.departments import (
    billing_months,
    generate_department_files,
    reference_date,
    write_department_files,
)
from agri_credit.demo.enterprises import generate_enterprises
from agri_credit.demo.generator import CountySizes, generate_county
from agri_credit.demo.loader import load_demo_county, registered_households
from agri_credit.departmental.parsing import iter_chunks, sniff
from agri_credit.departmental.sources import spec_for
from agri_credit.departmental.validation import clean_chunk
from models import (
    BatchStatus,
    ColumnMapping,
    Enterprise,
    Household,
    ImportBatch,
    LoanRecord,
    PublicRecord,
    Region,
    RegionLevel,
    Source,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    db,
)
from village_forms.identifiers import id_number_error, uscc_error

# Seeding imports the departmental files through the importer's own connection.
# One xdist worker runs this file (`make test`: --dist loadgroup): its module-scoped
# fixtures are built once.
pytestmark = [pytest.mark.real_commits, pytest.mark.xdist_group("test_departmental_demo")]

AS_OF = date(2026, 11, 23)
SEED = 5


@pytest.fixture(scope="module")
def county():
    return generate_county(SEED, CountySizes(households=400), AS_OF)


@pytest.fixture(scope="module")
def smes(county):
    return generate_enterprises(SEED, county.regions, AS_OF, set(county.entities["uscc"].dropna()))


@pytest.fixture(scope="module")
def files(county, smes):
    return generate_department_files(county, smes, SEED, AS_OF)


@pytest.fixture(scope="module")
def written(files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("departments")
    return dict(
        zip([f.filename for f in files], write_department_files(files, folder), strict=True)
    )


def by_source(files, source):
    return [f for f in files if f.source == source]


def known_numbers(county, smes) -> set[str]:
    entities = county.entities
    operators = entities.loc[entities["uscc"].isna(), "operator_id_number"]
    return (
        set(county.households["head_id_number"])
        | set(entities["uscc"].dropna())
        | set(operators)
        | set(smes["uscc"])
    )


# ---- the generated files -------------------------------------------------------------------


def test_same_seed_and_date_give_the_same_files_and_another_seed_different_ones(
    county, smes, files
):
    again = generate_department_files(county, smes, SEED, AS_OF)
    assert [f.filename for f in again] == [f.filename for f in files]
    for mine, theirs in zip(files, again, strict=True):
        pd.testing.assert_frame_equal(mine.frame, theirs.frame, obj=mine.filename)
    other = generate_department_files(county, smes, SEED + 1, AS_OF)
    electricity = by_source(files, Source.ELECTRICITY)[0].frame
    assert not electricity.equals(by_source(other, Source.ELECTRICITY)[0].frame)


def test_the_reference_date_comes_from_the_seed_not_from_today():
    assert reference_date(20261123) == date(2026, 11, 23)
    assert reference_date(20250101) == date(2025, 1, 1)
    assert reference_date(7) == reference_date(20261399) == date(2026, 11, 23)


def test_every_department_sends_its_files(files):
    sources = {f.source for f in files}
    assert sources == set(Source)
    # Each bank sends its own ledger, in the template the county asks for.
    loans = by_source(files, Source.BANK_LOAN)
    assert len(loans) == 3
    assert len({tuple(f.headers) for f in loans}) == 1
    assert {f.frame["贷款机构"].iloc[0] for f in loans} == {
        "富平县农村信用合作联社",
        "中国邮政储蓄银行富平县支行",
        "中国农业银行富平县支行",
    }


def test_headers_are_the_departments_own_and_the_import_page_maps_every_required_field(files):
    platform_names = {name for f in files for name in spec_for(f.source).field_names}
    for file in files:
        spec = spec_for(file.source)
        mapping = file.mapping()
        required = {f.name for f in spec.fields if f.required}
        assert required <= set(mapping), (file.filename, required - set(mapping))
        assert mapping["subject_code"] == file.subject_column
        assert not platform_names & set(file.headers), file.filename
    headers = {f.source: f.headers for f in files}
    assert headers[Source.ELECTRICITY][:4] == ["户号", "户名", "证件号码", "用电类别"]
    assert "抄表年月" in headers[Source.ELECTRICITY] and "计费年月" in headers[Source.WATER]
    assert (
        "纳税人识别号" in headers[Source.TAX] and "费款所属期" in headers[Source.SOCIAL_INSURANCE]
    )


def test_every_written_file_passes_the_importers_checks(files, written):
    for file in files:
        path = written[file.filename]
        info = sniff(path)
        assert info.headers == file.headers
        rows = 0
        for chunk in iter_chunks(path, info):
            cleaned = clean_chunk(spec_for(file.source), file.mapping(), chunk)
            assert cleaned.errors.empty, (file.filename, cleaned.errors.head().to_dict("records"))
            rows += len(cleaned.rows)
        assert rows == len(file.frame), file.filename


def test_files_come_in_the_encodings_and_formats_departments_use(files, written):
    formats = {f.source: (f.format, f.encoding) for f in files}
    assert formats[Source.ELECTRICITY] == ("csv", "gb18030")
    assert formats[Source.SOCIAL_INSURANCE] == ("csv", "utf-8-sig")
    assert formats[Source.PUBLIC_RECORD] == ("csv", "utf-8")
    for source in (Source.WATER, Source.TAX, Source.PROVIDENT_FUND, Source.BANK_LOAN):
        assert formats[source][0] == "xlsx"

    electricity = written[by_source(files, Source.ELECTRICITY)[0].filename]
    raw = electricity.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gb18030").startswith("户号,户名,证件号码")
    assert sniff(electricity).encoding == "gb18030"
    social = written[by_source(files, Source.SOCIAL_INSURANCE)[0].filename]
    assert social.read_bytes().startswith(codecs.BOM_UTF8)
    public = written[by_source(files, Source.PUBLIC_RECORD)[0].filename]
    assert not public.read_bytes().startswith(codecs.BOM_UTF8)


def test_spreadsheets_keep_id_numbers_as_text_and_dates_as_dates(files, written):
    loans = by_source(files, Source.BANK_LOAN)[0]
    sheet = load_workbook(written[loans.filename], read_only=True).worksheets[0]
    header, first = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    row = dict(zip(header, first, strict=True))
    assert isinstance(row["借款人证件号码"], str) and len(row["借款人证件号码"]) == 18
    assert isinstance(row["借款合同号"], str)
    assert row["发放日期"].date() == loans.frame["发放日期"].iloc[0]


def test_id_numbers_and_credit_codes_all_pass_their_check_digits(files):
    for file in files:
        codes = file.frame[file.subject_column].drop_duplicates()
        bad = [c for c in codes if id_number_error(c, today=AS_OF) and uscc_error(c)]
        assert bad == [], file.filename


def test_monthly_bills_cover_the_thirteen_months_before_the_reference_date(files):
    assert billing_months(AS_OF)[[0, -1]].tolist() == [2025 * 12 + 9, 2026 * 12 + 9]
    electricity = by_source(files, Source.ELECTRICITY)[0].frame
    assert sorted(set(electricity["抄表年月"])) == [
        *(f"2025{m:02d}" for m in (10, 11, 12)),
        *(f"2026{m:02d}" for m in range(1, 11)),
    ]
    water = by_source(files, Source.WATER)[0].frame
    assert water["计费年月"].min() == "2025-10" and water["计费年月"].max() == "2026-10"
    assert by_source(files, Source.GAS)[0].frame["账单月份"].nunique() == 13
    social = by_source(files, Source.SOCIAL_INSURANCE)[0].frame
    assert social["费款所属期"].nunique() == 13
    tax = by_source(files, Source.TAX)[0].frame
    assert set(tax["税款所属期"]) == {"2023年", "2024年", "2025年"}
    fund = by_source(files, Source.PROVIDENT_FUND)[0].frame
    assert set(fund["年度"]) == {"2024年度", "2025年度"}
    # Nothing is paid after the reference date.
    paid = pd.to_datetime(electricity["实缴日期"], format="%Y/%m/%d")
    assert paid.max() <= pd.Timestamp(AS_OF)


def test_about_two_percent_of_rows_belong_to_people_and_firms_without_a_file(county, smes, files):
    known = known_numbers(county, smes)
    total = outside = 0
    for file in files:
        unknown = ~file.frame[file.subject_column].isin(known)
        total += len(unknown)
        outside += int(unknown.sum())
    assert 0.01 < outside / total < 0.035
    electricity = by_source(files, Source.ELECTRICITY)[0]
    assert (~electricity.frame["证件号码"].isin(known)).any()
    loans = pd.concat([f.frame for f in by_source(files, Source.BANK_LOAN)])
    assert (~loans["借款人证件号码"].isin(known)).any()


def test_electricity_peaks_in_winter_and_summer_and_poorer_households_pay_late_more_often(
    county, files
):
    bills = by_source(files, Source.ELECTRICITY)[0].frame
    homes = bills[bills["用电类别"] == "居民生活用电"]
    by_month = homes.groupby(homes["抄表年月"].str.slice(4, 6))["抄见电量(千瓦时)"].mean()
    assert by_month["01"] > by_month["04"] * 1.3 and by_month["08"] > by_month["05"] * 1.3
    income = county.households.set_index("head_id_number")[
        ["income_crops", "income_livestock", "income_business", "income_wages", "income_other"]
    ].sum(axis=1)
    homes = homes.assign(income=homes["证件号码"].map(income)).dropna(subset=["income"])
    poorest = homes["income"] <= homes["income"].quantile(0.25)
    richest = homes["income"] >= homes["income"].quantile(0.75)
    late = homes["欠费天数"] > 0
    assert late[poorest].mean() > 2 * late[richest].mean()
    # A bill is charged by Shaanxi's residential tiers: 0.4983 yuan a kWh up to 180.
    small = homes[homes["抄见电量(千瓦时)"] <= 180]
    assert np.allclose(small["应收电费(元)"], (small["抄见电量(千瓦时)"] * 0.4983).round(2))


def test_bank_ledgers_hold_the_loans_cadres_recorded_classified_by_days_overdue(county, files):
    loans = pd.concat([f.frame for f in by_source(files, Source.BANK_LOAN)], ignore_index=True)
    assert (loans["贷款余额(元)"] <= loans["合同金额(元)"]).all()
    assert (loans["到期日"] >= loans["发放日期"]).all()
    assert loans["借款合同号"].is_unique
    status = loans["五级分类"]
    assert (status == "正常").mean() > 0.85
    assert (loans.loc[loans["逾期天数"] > 90, "五级分类"].isin(["次级", "可疑", "损失"])).all()
    assert (loans.loc[loans["逾期天数"] == 0, "五级分类"].isin(["正常", "关注"])).all()
    settled = loans[loans["结清日期"].notna()]
    assert len(settled) and (settled["贷款余额(元)"] == 0).all()

    heads = county.households.set_index("id")["head_id_number"]
    recorded = county.liabilities[county.liabilities["kind"] == "银行贷款"]
    recorded = recorded[recorded["start_date"] <= date(2026, 10, 31)]
    open_loans = loans[loans["结清日期"].isna()]
    for _, loan in recorded.head(30).iterrows():
        match = open_loans[
            (open_loans["借款人证件号码"] == heads[loan["household_id"]])
            & (open_loans["贷款机构"] == loan["creditor"])
            & (open_loans["发放日期"] == loan["start_date"])
        ]
        assert len(match) == 1 and match["贷款余额(元)"].iloc[0] == loan["balance"]
    borrowers = set(loans["借款人证件号码"])
    share = county.households["head_id_number"].isin(borrowers).mean()
    assert 0.2 < share < 0.6
    entities = county.entities["uscc"].fillna(county.entities["operator_id_number"])
    assert entities.isin(borrowers).mean() > 0.5


def test_tax_grades_are_mostly_b_and_a_and_new_taxpayers_are_m(files, smes):
    tax = by_source(files, Source.TAX)[0].frame
    graded = tax["纳税信用等级"].dropna()
    shares = graded.value_counts(normalize=True)
    assert shares["B"] > shares["A"] > shares.get("D", 0)
    assert shares["B"] > 0.35 and set(graded) <= set("ABMCD")
    founded = smes.set_index("uscc")["founded_on"].map(lambda d: d.year)
    last_year = tax[(tax["税款所属期"] == "2025年") & tax["纳税人识别号"].isin(founded.index)]
    new = last_year["纳税人识别号"].map(founded) >= 2024
    assert new.any() and (last_year.loc[new, "纳税信用等级"] == "M").all()
    assert (last_year.loc[~new, "纳税信用等级"] != "M").all()
    # The self-employed file under their ID numbers, ungraded.
    individuals = tax[tax["登记注册类型"] == "个体工商户"]
    assert len(individuals) and individuals["纳税信用等级"].isna().all()


def test_public_records_cover_licences_penalties_dishonesty_and_honours(files):
    records = by_source(files, Source.PUBLIC_RECORD)[0].frame
    assert set(records["信息类别"]) == {"行政许可", "行政处罚", "失信被执行人", "荣誉表彰"}
    ended = pd.to_datetime(records["结束日期"].replace("", None))
    negative = records["信息类别"].isin(["行政处罚", "失信被执行人"])
    five_years_ago = pd.Timestamp(AS_OF) - pd.DateOffset(years=5)
    # Old records for the five-year retention rule to hide, and current ones it must keep.
    assert (negative & (ended < five_years_ago)).sum() >= 2
    dishonest = records["信息类别"] == "失信被执行人"
    assert (dishonest & ended.isna()).any()
    assert records.duplicated(["证件号码", "信息类别", "决定文书号"]).sum() == 0


def test_smes_have_valid_codes_industries_and_township_or_village_seats(county, smes):
    assert len(smes) == 60
    assert smes["uscc"].map(uscc_error).isna().all() and smes["uscc"].is_unique
    assert not set(smes["uscc"]) & set(county.entities["uscc"].dropna())
    assert smes["name"].is_unique
    assert {"农产品加工", "物流", "餐饮", "建材"} <= set(smes["industry"])
    levels = county.regions.set_index("code")["level"]
    seats = smes["region_code"].map(levels)
    assert {RegionLevel.TOWNSHIP.value, RegionLevel.VILLAGE.value} <= set(seats)
    assert (smes["employees"] > 0).all()


def test_registered_households_leave_most_villages_85_to_98_percent_filed():
    # Village sizes as in the default county: about 330 files each.
    households = pd.DataFrame(
        {"village_code": np.repeat([f"610528100{k:03d}" for k in range(90)], 330)}
    )
    registered = registered_households(households, SEED)
    files = households.groupby("village_code").size()
    coverage = files / registered.reindex(files.index)
    assert (coverage <= 1).all()
    assert coverage.between(0.84, 0.99).mean() > 0.75
    assert (coverage < 0.85).any()


# ---- seeded through the importer -----------------------------------------------------------


@pytest.fixture
def seeded(app):
    return load_demo_county(seed=SEED, households=300, as_of=AS_OF, departmental=True)


def test_seeding_imports_every_file_as_the_county_office(seeded):
    office = db.session.scalar(select(User).where(User.username == "county_office"))
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
    assert len(batches) == seeded.departmental.files == 10
    assert {b.status for b in batches} == {BatchStatus.IMPORTED}
    assert {b.user_id for b in batches} == {office.id}
    assert {b.scope_code for b in batches} == {office.scope_code}
    assert all(b.rows_rejected == 0 and b.rows_inserted == b.rows_read for b in batches)
    assert sum(b.rows_unmatched for b in batches) == seeded.departmental.unmatched > 0
    assert batches[0].filename.startswith("国网富平供电公司_电费_")
    # The office finds each source's mapping saved for its next file.
    mappings = db.session.scalars(select(ColumnMapping)).all()
    assert {m.source for m in mappings} == {s.value for s in Source}
    assert {m.scope_code for m in mappings} == {office.scope_code}
    electricity = next(m for m in mappings if m.source == Source.ELECTRICITY)
    assert electricity.columns["period"] == "抄表年月"


def test_seeded_records_are_linked_to_households_entities_and_smes(seeded):
    households = db.session.scalar(select(func.count()).select_from(Household))
    linked = db.session.scalar(
        select(func.count()).select_from(SubjectKey).where(SubjectKey.household_id.is_not(None))
    )
    assert linked > 0.9 * households
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 60
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SubjectKey)
            .where(SubjectKey.enterprise_id.is_not(None))
        )
        == 60
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(SubjectKey).where(SubjectKey.entity_id.is_not(None))
        )
        > 20
    )
    unmatched = db.session.scalar(
        select(func.count())
        .select_from(SubjectKey)
        .where(
            SubjectKey.household_id.is_(None),
            SubjectKey.entity_id.is_(None),
            SubjectKey.enterprise_id.is_(None),
        )
    )
    assert unmatched > 0

    household = db.session.scalar(
        select(Household)
        .join(SubjectKey, SubjectKey.household_id == Household.id)
        .order_by(Household.id)
        .limit(1)
    )
    key = db.session.scalar(select(SubjectKey).where(SubjectKey.household_id == household.id))
    bills = db.session.scalars(
        select(UtilityRecord).where(
            UtilityRecord.subject_key_id == key.id, UtilityRecord.utility == "electricity"
        )
    ).all()
    assert len(bills) == 13
    assert {(b.year, b.month) for b in bills} >= {(2025, 10), (2026, 10)}
    assert db.session.scalar(select(func.count()).select_from(TaxRecord)) > 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(LoanRecord)
            .where(LoanRecord.superseded_by_id.is_(None))
        )
        > 0
    )
    kinds = set(db.session.scalars(select(PublicRecord.kind).distinct()))
    assert kinds == {"license", "penalty", "dishonest", "honour"}


def test_seeding_sets_registered_households_for_every_demo_village(app):
    load_demo_county(seed=SEED, households=300, as_of=AS_OF)
    villages = db.session.execute(
        select(Region.code, Region.registered_households).where(Region.level == RegionLevel.VILLAGE)
    ).all()
    files = dict(
        db.session.execute(
            select(Household.village_code, func.count()).group_by(Household.village_code)
        ).all()
    )
    filled = [(code, n) for code, n in villages if code in files]
    assert filled and all(n is not None and n >= files[code] for code, n in filled)


def test_demo_department_files_command_writes_every_file(runner, tmp_path):
    result = runner.invoke(
        args=["demo-department-files", str(tmp_path), "--households", "300", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in Path(tmp_path).iterdir())
    assert len(names) == 10
    assert any(n.startswith("国网富平供电公司_电费_") and n.endswith(".csv") for n in names)
    assert any(n.endswith(".xlsx") and "水费" in n for n in names)
    # Without a database: the command only generates and writes.
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_seed_demo_imports_the_departmental_files_unless_told_not_to(runner):
    result = runner.invoke(args=["seed-demo", "--households", "300"])
    assert result.exit_code == 0, result.output
    assert "10 departmental files" in result.output
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 10
