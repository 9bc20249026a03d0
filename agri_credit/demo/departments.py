"""The demo county's departmental files, as the departments would send them: one DataFrame per
file in the department's own columns and wording (国网's 户号/抄表年月/抄见电量, 税务's
纳税人识别号/税款所属期 ...), reproducible from a seed and a reference date, and writers that
save each as the department does (GBK-family CSV from 国网, XLSX from 水务 and 税务, CSV with
a BOM from 社保 ...). No Flask, no database: the seed imports these files through the real
importer, and tests read them back.

The rows follow the county's files: electricity use grows with household size and income and
peaks in winter and summer; poorer households and those with overdue loans pay late more
often; a household's bank loans are the ones its cadre recorded; an entity's tax grade, social
insurance arrears and loan trouble share one latent quality. About 2 % of rows belong to
people and firms with no file in the county (moved away, registered elsewhere, not filed yet),
so every import shows unmatched rows.
"""

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from agri_credit.departmental.sources import spec_for, suggest_mapping
from models import RegionLevel, Source

from . import vocabulary as v
from .generator import COUNTY_CODE, _given_names, _id_numbers, _surnames, _uscc
from .xlsx import write_xlsx

MONTHS = 13  # monthly bills: the 13 months before the reference date
TAX_YEARS = 3  # annual tax: the three years before the reference year
FUND_YEARS = 2
OUTSIDER_SHARE = 0.02
DEFAULT_REFERENCE_DATE = date(2026, 11, 23)
INCOME_COLUMNS = (
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
)
AGRICULTURAL = ("family_farm", "cooperative", "large_grower")
CSV, XLSX = "csv", "xlsx"
COUNTY_NAME = v.COUNTY[1]

# Shaanxi 居民阶梯电价 per month (kWh up to, yuan/kWh); 农业生产 and 一般工商业 flat rates.
ELECTRICITY_TIERS = ((180, 0.4983), (350, 0.5483), (np.inf, 0.7983))
ELECTRICITY_AGRICULTURE, ELECTRICITY_BUSINESS = 0.4915, 0.6181
WATER_PRICE, WATER_BUSINESS_PRICE = 3.40, 4.90
GAS_PRICE, GAS_BUSINESS_PRICE = 2.58, 3.10
# Monthly factors: 渭北 winters are heated electrically, summers cooled; farms pump in spring.
HOME_ELECTRICITY_SEASON = (1.45, 1.35, 1.0, 0.85, 0.85, 1.05, 1.35, 1.4, 1.0, 0.85, 1.0, 1.3)
FARM_ELECTRICITY_SEASON = (0.6, 0.7, 1.3, 1.5, 1.4, 1.3, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6)
WATER_SEASON = (0.85, 0.9, 0.9, 1.0, 1.05, 1.15, 1.3, 1.3, 1.1, 0.95, 0.85, 0.85)
GAS_HEATING = (1.0, 0.85, 0.45, 0.05, 0, 0, 0, 0, 0, 0.05, 0.5, 0.9)
SOCIAL_INSURANCE_PER_PERSON = 1_080.0  # employer + employee share on the minimum base, a month
PROVIDENT_FUND_PER_PERSON = 380.0
LOAN_PRODUCTS = {
    "household": "农户小额信用贷款",
    "household_large": "农户生产经营贷款",
    "family_farm": "家庭农场贷款",
    "cooperative": "农民专业合作社贷款",
    "large_grower": "种养大户贷款",
    "leading_enterprise": "农业产业化龙头企业贷款",
    "sme": "小微企业流动资金贷款",
}
SHOPS = (
    "日杂店",
    "百货门市部",
    "农资门市部",
    "饭店",
    "理发店",
    "汽车修理部",
    "便民超市",
    "建材门市部",
)
CONTRACT_PREFIX = dict(zip(v.BANKS, ("FPNX", "PSBC6105", "ABC2655"), strict=True))
BANK_SHORT = dict(
    zip(v.BANKS, ("富平农信联社", "邮储银行富平县支行", "农行富平县支行"), strict=True)
)


@dataclass(frozen=True)
class DepartmentFile:
    """One file a department sends: its rows in the department's columns and wording."""

    source: Source
    department: str
    filename: str
    format: str  # CSV or XLSX
    encoding: str  # CSV: "gb18030", "utf-8-sig" (with a BOM) or "utf-8"; XLSX: ""
    frame: pd.DataFrame
    subject_column: str  # the header holding the ID number or USCC

    @property
    def headers(self) -> list[str]:
        return list(self.frame.columns)

    def mapping(self) -> dict[str, str]:
        """{platform field: header}, as the import page first suggests it."""
        return suggest_mapping(spec_for(self.source), self.headers)


def reference_date(seed: int) -> date:
    """The demo's "today": the seed read as YYYYMMDD when it is a date (the default seed
    20261123 is 23 November 2026), otherwise a fixed date. Never the real today, so a seed
    gives the same files whenever it runs."""
    try:
        day = date(seed // 10_000, seed // 100 % 100, seed % 100)
    except ValueError:
        return DEFAULT_REFERENCE_DATE
    return day if 2000 <= day.year <= 2100 else DEFAULT_REFERENCE_DATE


def billing_months(as_of: date, count: int = MONTHS) -> np.ndarray:
    """Month indices (year * 12 + month - 1) of the `count` months before `as_of`'s month."""
    last = as_of.year * 12 + as_of.month - 2
    return np.arange(last - count + 1, last + 1)


def generate_department_files(
    county, enterprises: pd.DataFrame, seed: int, as_of: date
) -> list[DepartmentFile]:
    """Every department's file for the county (a `DemoCounty`) and its SMEs, in import order."""
    rng = np.random.default_rng([seed, 11])
    people, firms = _subjects(rng, county, enterprises, as_of)
    places = _places(county.regions)
    months = billing_months(as_of)
    loans = _loans(rng, county, people, firms, as_of)
    return [
        _electricity(rng, people, firms, months, as_of),
        _water(rng, people, places, months, as_of),
        _gas(rng, people, firms, months, as_of),
        _tax(rng, people, firms, _township_names(county.regions), as_of),
        _social_insurance(rng, firms, months, as_of),
        _provident_fund(rng, firms, as_of),
        *loans,
        _public_records(rng, county, people, firms, as_of),
    ]


# ---- writing -------------------------------------------------------------------------------


def write_department_file(file: DepartmentFile, out_dir: Path) -> Path:
    path = Path(out_dir) / file.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    if file.format == CSV:
        # 国网's GBK-family exports come from Windows tools: CRLF line ends as well.
        newline = "\r\n" if file.encoding == "gb18030" else "\n"
        file.frame.to_csv(path, index=False, encoding=file.encoding, lineterminator=newline)
    else:
        write_xlsx(file.frame, path, sheet_name=file.department)
    return path


def write_department_files(files: list[DepartmentFile], out_dir: Path) -> list[Path]:
    return [write_department_file(file, out_dir) for file in files]


# ---- who the departments know ----------------------------------------------------------------


def _subjects(
    rng: np.random.Generator, county, enterprises: pd.DataFrame, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People (household heads plus outsiders) and firms (entities, SMEs, outsider firms)."""
    households = county.households
    income = households[list(INCOME_COLUMNS)].fillna(0).sum(axis=1).to_numpy()
    bank = county.liabilities[county.liabilities["kind"] == "银行贷款"]
    overdue = (
        bank.groupby("household_id")["overdue_days"]
        .max()
        .reindex(households["id"], fill_value=0)
        .to_numpy()
    )
    people = pd.DataFrame(
        {
            "code": households["head_id_number"].to_numpy(),
            "name": households["head_name"].to_numpy(),
            "village_code": households["village_code"].to_numpy(),
            "size": households["household_size"].to_numpy(),
            "income": income,
            "overdue": overdue,
            "business": households["income_business"].notna().to_numpy(),
            "household_id": households["id"].to_numpy(),
            "outsider": False,
        }
    )
    taken_ids = set(people["code"]) | set(county.members["id_number"].dropna())
    taken_ids |= set(county.entities["operator_id_number"].dropna())
    n_out = max(3, round(len(people) * OUTSIDER_SHARE / (1 - OUTSIDER_SHARE)))
    people = pd.concat(
        [people, _outsider_people(rng, n_out, people, taken_ids, as_of)], ignore_index=True
    )
    people["poverty"] = 1 - people["income"].rank(pct=True).to_numpy()

    entities = county.entities
    estimated = entities["total_assets"].fillna(0) * 0.6
    firms = pd.DataFrame(
        {
            "code": entities["uscc"].fillna(entities["operator_id_number"]).to_numpy(),
            "name": entities["name"].to_numpy(),
            "kind": entities["entity_type"].to_numpy(),
            "industry": "农业",
            "has_uscc": entities["uscc"].notna().to_numpy(),
            "region_code": entities["village_code"].to_numpy(),
            "employees": entities["employees"].fillna(0).astype(int).to_numpy(),
            "revenue": entities["annual_revenue"].fillna(estimated).to_numpy(dtype=float),
            "debts": entities["total_debts"].fillna(0).to_numpy(dtype=float),
            "land_mu": entities["land_mu"].fillna(0).to_numpy(dtype=float),
            "herd_size": entities["herd_size"].astype("float64").fillna(0).to_numpy(),
            "founded_on": entities["founded_on"].to_numpy(),
            "outsider": False,
        }
    )
    smes = pd.DataFrame(
        {
            "code": enterprises["uscc"].to_numpy(),
            "name": enterprises["name"].to_numpy(),
            "kind": "sme",
            "industry": enterprises["industry"].to_numpy(),
            "has_uscc": True,
            "region_code": enterprises["region_code"].to_numpy(),
            "employees": enterprises["employees"].to_numpy(),
            "revenue": enterprises["annual_revenue"].to_numpy(dtype=float),
            "debts": enterprises["annual_revenue"].to_numpy(dtype=float) * 0.25,
            "land_mu": 0.0,
            "herd_size": 0.0,
            "founded_on": enterprises["founded_on"].to_numpy(),
            "outsider": False,
        }
    )
    firms = pd.concat([firms, smes], ignore_index=True)
    taken_usccs = set(firms.loc[firms["has_uscc"], "code"])
    n_out = max(2, round(len(firms) * OUTSIDER_SHARE / (1 - OUTSIDER_SHARE)))
    firms = pd.concat(
        [firms, _outsider_firms(rng, n_out, county.regions, taken_usccs, as_of)],
        ignore_index=True,
    )
    # One latent soundness drives a firm's tax grade, arrears and loan trouble together.
    firms["quality"] = rng.normal(0, 1, len(firms)) + 0.3 * (firms["employees"] > 20)
    return people, firms


def _outsider_people(
    rng: np.random.Generator, n: int, people: pd.DataFrame, taken: set[str], as_of: date
) -> pd.DataFrame:
    """Valid ID numbers of people with no file here: moved away, married in from elsewhere,
    renting in a township seat."""
    today = int(np.datetime64(as_of, "D").astype(np.int64))
    born = today - (rng.uniform(25, 78, n) * 365.25).astype(np.int64)
    male = rng.random(n) < 0.75
    area = np.where(
        rng.random(n) < 0.6,
        COUNTY_CODE,
        rng.choice(np.array(v.NEIGHBOUR_AREAS, dtype=object), size=n),
    ).astype(object)
    codes = _id_numbers(rng, area, born, male)
    keep = np.array([code not in taken for code in codes])
    donors = rng.integers(0, len(people), n)  # a life like some county household's
    return pd.DataFrame(
        {
            "code": codes,
            "name": _surnames(rng, n) + _given_names(rng, male, born),
            "village_code": people["village_code"].to_numpy()[donors],
            "size": rng.integers(1, 5, n),
            "income": people["income"].to_numpy()[donors] * rng.lognormal(0, 0.3, n),
            "overdue": np.where(rng.random(n) < 0.03, rng.integers(10, 400, n), 0),
            "business": rng.random(n) < 0.08,
            "household_id": 0,
            "outsider": True,
        }
    )[keep]


def _outsider_firms(
    rng: np.random.Generator, n: int, regions: pd.DataFrame, taken: set[str], as_of: date
) -> pd.DataFrame:
    """Firms registered in the county that have no file yet."""
    townships = regions[regions["level"] == RegionLevel.TOWNSHIP.value]
    rows = []
    for i in range(n):
        township = townships.iloc[int(rng.integers(len(townships)))]
        cooperative = rng.random() < 0.4
        brand = str(rng.choice(v.ENTITY_BRANDS))
        if cooperative:
            product = str(rng.choice(v.ENTITY_PRODUCTS))
            name = f"{COUNTY_NAME}{township['name']}{brand}{product}专业合作社"
        else:
            name = f"{COUNTY_NAME}新{brand}{('商贸', '物流', '农业科技')[i % 3]}有限公司"
        employees = int(rng.integers(3, 30))
        rows.append(
            {
                "code": _uscc(rng, "93" if cooperative else "91", taken),
                "name": name,
                "kind": "cooperative" if cooperative else "sme",
                "industry": "农业" if cooperative else "商贸",
                "has_uscc": True,
                "region_code": township["code"],
                "employees": employees,
                "revenue": employees * 200_000.0,
                "debts": employees * 40_000.0,
                "land_mu": 150.0 if cooperative else 0.0,
                "herd_size": 0.0,
                "founded_on": as_of - timedelta(days=int(rng.integers(200, 900))),
                "outsider": True,
            }
        )
    return pd.DataFrame(rows)


def _township_names(regions: pd.DataFrame) -> dict[str, str]:
    """First nine digits of a code -> its township's name."""
    townships = regions[regions["level"] == RegionLevel.TOWNSHIP.value]
    return dict(zip(townships["code"].str.slice(0, 9), townships["name"], strict=True))


def _places(regions: pd.DataFrame) -> pd.Series:
    """Village code -> "富平县庄里镇杨家村", for addresses."""
    by_code = regions.set_index("code")
    villages = by_code[by_code["level"] == RegionLevel.VILLAGE.value]
    townships = by_code.loc[villages["parent_code"], "name"].to_numpy()
    return pd.Series(COUNTY_NAME + townships + villages["name"].to_numpy(), index=villages.index)


# ---- shared pieces ---------------------------------------------------------------------------


def _month_parts(month_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return month_index // 12, month_index % 12 + 1


def _month_start(month_index: np.ndarray) -> np.ndarray:
    return (month_index - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _accounts(rng: np.random.Generator, n: int, prefix: str, digits: int) -> np.ndarray:
    """Distinct account numbers in random order, as a utility's customer file has them."""
    numbers = rng.permutation(n) + int(rng.integers(1, max(2, 10**digits - n)))
    return np.array([f"{prefix}{x:0{digits}d}" for x in numbers.tolist()], dtype=object)


def _grid(n: int, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(subject, month index) for every subject-month, subject-major."""
    return np.repeat(np.arange(n), len(months)), np.tile(months, n)


def _payments(
    rng: np.random.Generator,
    month: np.ndarray,
    late_chance: np.ndarray,
    stops_paying: np.ndarray,
    as_of: date,
) -> tuple[np.ndarray, np.ndarray]:
    """(paid on, days late) per bill. A bill falls due at the end of the month after the one
    billed; most are paid early in that month, a few late, and bills not paid by `as_of` are
    open with their days overdue so far. `stops_paying`: months owed at the end, per bill."""
    due = _month_start(month + 2) - np.timedelta64(1, "D")
    window = (due - _month_start(month + 1)).astype(np.int64)
    on_time = _month_start(month + 1) + (rng.beta(1.3, 3.0, len(month)) * window).astype(
        "timedelta64[D]"
    )
    late = rng.random(len(month)) < late_chance
    days_late = np.where(late, np.minimum(1 + rng.geometric(0.07, len(month)), 150), 0)
    paid = np.where(late, due + days_late.astype("timedelta64[D]"), on_time)
    today = np.datetime64(as_of, "D")
    still_open = (paid > today) | stops_paying
    paid = np.where(still_open, np.datetime64("NaT"), paid)
    owed = np.maximum((today - due).astype(np.int64), 0)
    return paid, np.where(still_open, owed, days_late).astype(np.int64)


def _last_months_unpaid(
    rng: np.random.Generator, subject: np.ndarray, month: np.ndarray, defaulter: np.ndarray
) -> np.ndarray:
    """Bills a defaulting subject left unpaid: its last one to four months."""
    months_owed = np.where(defaulter, rng.integers(1, 5, len(defaulter)), 0)
    from_end = month.max() - month
    return from_end < months_owed[subject]


def _date_text(days: np.ndarray, fmt: str) -> np.ndarray:
    series = pd.Series(pd.to_datetime(days))
    return series.dt.strftime(fmt).fillna("").to_numpy(dtype=object)


def _as_dates(days: np.ndarray) -> np.ndarray:
    """datetime64 -> `datetime.date` (None for NaT), which openpyxl writes as date cells."""
    return np.array(
        [None if pd.isna(d) else d for d in pd.Series(pd.to_datetime(days)).dt.date],
        dtype=object,
    )


def _tiered(kwh: np.ndarray) -> np.ndarray:
    charge = np.zeros(len(kwh))
    floor = 0.0
    for ceiling, price in ELECTRICITY_TIERS:
        charge += np.clip(kwh - floor, 0, ceiling - floor) * price
        floor = ceiling
    return np.round(charge, 2)


def _late_chance(people: pd.DataFrame) -> np.ndarray:
    return (
        0.01 + 0.12 * people["poverty"].to_numpy() ** 3 + 0.25 * (people["overdue"].to_numpy() > 0)
    )


def _year_label(as_of: date) -> str:
    months = billing_months(as_of)
    (y0,), (m0,) = _month_parts(months[:1])
    (y1,), (m1,) = _month_parts(months[-1:])
    return f"{y0}{m0:02d}-{y1}{m1:02d}"


# ---- utilities -------------------------------------------------------------------------------


def _electricity(
    rng: np.random.Generator,
    people: pd.DataFrame,
    firms: pd.DataFrame,
    months: np.ndarray,
    as_of: date,
) -> DepartmentFile:
    """国网: nearly every household, farms with pumps and sheds, every firm; monthly."""
    homes = people[rng.random(len(people)) < 0.97].reset_index(drop=True)
    n = len(homes)
    base = (40 + 28 * homes["size"] + homes["income"] / 2500).to_numpy() * rng.lognormal(0, 0.35, n)
    empty = rng.random(n) < 0.04  # everyone works away; the meter barely turns
    base = np.where(empty, rng.uniform(3, 15, n), base)
    subject, month = _grid(n, months)
    _, calendar = _month_parts(month)
    season = np.array(HOME_ELECTRICITY_SEASON)[calendar - 1]
    kwh = np.round(base[subject] * season * rng.lognormal(0, 0.12, len(month)))
    defaulter = (homes["overdue"].to_numpy() >= 90) & (rng.random(n) < 0.4)
    stops = _last_months_unpaid(rng, subject, month, defaulter)
    paid, late = _payments(rng, month, _late_chance(homes)[subject], stops, as_of)
    resident = pd.DataFrame(
        {
            "户号": _accounts(rng, n, "06", 8)[subject],
            "户名": homes["name"].to_numpy()[subject],
            "证件号码": homes["code"].to_numpy()[subject],
            "用电类别": "居民生活用电",
            "抄表年月": _period_compact(month),
            "抄见电量(千瓦时)": kwh.astype(np.int64),
            "应收电费(元)": _tiered(kwh),
            "实缴日期": _date_text(paid, "%Y/%m/%d"),
            "欠费天数": late,
        }
    )

    users = firms[(firms["kind"] != "large_grower") | (rng.random(len(firms)) < 0.5)].reset_index(
        drop=True
    )
    m = len(users)
    farm = users["kind"].isin(AGRICULTURAL).to_numpy()
    base = np.where(
        farm,
        150 + users["land_mu"].to_numpy() * 6 + users["herd_size"].to_numpy() * 2,
        400 + users["employees"].to_numpy() * 320,
    ) * rng.lognormal(0, 0.3, m)
    subject, month = _grid(m, months)
    _, calendar = _month_parts(month)
    season = np.where(
        farm[subject],
        np.array(FARM_ELECTRICITY_SEASON)[calendar - 1],
        1 + 0.5 * (np.array(HOME_ELECTRICITY_SEASON)[calendar - 1] - 1),
    )
    kwh = np.round(base[subject] * season * rng.lognormal(0, 0.1, len(month)))
    price = np.where(farm, ELECTRICITY_AGRICULTURE, ELECTRICITY_BUSINESS)[subject]
    weak = users["quality"].to_numpy() < -1.5
    stops = _last_months_unpaid(rng, subject, month, weak & (rng.random(m) < 0.3))
    paid, late = _payments(rng, month, (0.01 + 0.2 * weak)[subject], stops, as_of)
    business = pd.DataFrame(
        {
            "户号": _accounts(rng, m, "07", 8)[subject],
            "户名": users["name"].to_numpy()[subject],
            "证件号码": users["code"].to_numpy()[subject],
            "用电类别": np.where(farm, "农业生产用电", "一般工商业用电")[subject],
            "抄表年月": _period_compact(month),
            "抄见电量(千瓦时)": kwh.astype(np.int64),
            "应收电费(元)": np.round(kwh * price, 2),
            "实缴日期": _date_text(paid, "%Y/%m/%d"),
            "欠费天数": late,
        }
    )
    frame = pd.concat([resident, business], ignore_index=True)
    return DepartmentFile(
        Source.ELECTRICITY,
        "国网富平县供电公司",
        f"国网富平供电公司_电费_{_year_label(as_of)}.csv",
        CSV,
        "gb18030",
        frame,
        "证件号码",
    )


def _water(
    rng: np.random.Generator,
    people: pd.DataFrame,
    places: pd.Series,
    months: np.ndarray,
    as_of: date,
) -> DepartmentFile:
    """城乡供水: households of the villages on the company's piped network, the township
    seats and a few beside them (the rest draw from village-run wells, which send no file);
    monthly."""
    villages = np.array(sorted(set(people["village_code"])), dtype=object)
    seat = np.array([code.endswith("001") for code in villages])
    served = villages[seat | (rng.random(len(villages)) < 0.06)]
    homes = people[
        people["village_code"].isin(served) & (rng.random(len(people)) < 0.9)
    ].reset_index(drop=True)
    n = len(homes)
    base = homes["size"].to_numpy() * rng.lognormal(np.log(2.1), 0.3, n)
    subject, month = _grid(n, months)
    _, calendar = _month_parts(month)
    tons = np.round(
        base[subject] * np.array(WATER_SEASON)[calendar - 1] * rng.lognormal(0, 0.15, len(month)),
        1,
    )
    stops = _last_months_unpaid(rng, subject, month, homes["overdue"].to_numpy() >= 180)
    paid, _ = _payments(rng, month, _late_chance(homes)[subject], stops, as_of)
    frame = pd.DataFrame(
        {
            "用户编号": _accounts(rng, n, "3", 7)[subject],
            "用户名称": homes["name"].to_numpy()[subject],
            "身份证号": homes["code"].to_numpy()[subject],
            "用水地址": places.reindex(homes["village_code"]).to_numpy()[subject],
            "计费年月": _period_dash(month),
            "用水量(吨)": tons,
            "应收水费(元)": np.round(tons * WATER_PRICE, 2),
            "缴费日期": _as_dates(paid),
        }
    )
    return DepartmentFile(
        Source.WATER,
        "富平县城乡供水有限公司",
        f"富平县城乡供水有限公司_水费明细_{_year_label(as_of)}.xlsx",
        XLSX,
        "",
        frame,
        "身份证号",
    )


def _gas(
    rng: np.random.Generator,
    people: pd.DataFrame,
    firms: pd.DataFrame,
    months: np.ndarray,
    as_of: date,
) -> DepartmentFile:
    """天然气: the better-off households of township seats, with wall-hung boilers for the
    winter, and the kitchens of restaurants and food plants; monthly."""
    seat = people["village_code"].str.endswith("001").to_numpy()
    homes = people[
        seat & (people["poverty"] < 0.7).to_numpy() & (rng.random(len(people)) < 0.6)
    ].reset_index(drop=True)
    kitchens = firms[
        firms["industry"].isin(["餐饮", "食品制造", "农产品加工"]) & (rng.random(len(firms)) < 0.8)
    ].reset_index(drop=True)
    codes = np.concatenate([homes["code"].to_numpy(), kitchens["code"].to_numpy()])
    names = np.concatenate([homes["name"].to_numpy(), kitchens["name"].to_numpy()])
    business = np.r_[np.zeros(len(homes), bool), np.ones(len(kitchens), bool)]
    n = len(codes)
    cooking = np.where(business, rng.uniform(300, 1500, n), rng.uniform(12, 30, n))
    heating = np.where(business, 0, np.where(rng.random(n) < 0.6, rng.uniform(120, 260, n), 0))
    subject, month = _grid(n, months)
    _, calendar = _month_parts(month)
    cubic = np.round(
        (cooking[subject] + heating[subject] * np.array(GAS_HEATING)[calendar - 1])
        * rng.lognormal(0, 0.12, len(month)),
        1,
    )
    price = np.where(business, GAS_BUSINESS_PRICE, GAS_PRICE)[subject]
    chance = np.r_[_late_chance(homes), np.full(len(kitchens), 0.02)][subject]
    paid, late = _payments(rng, month, chance, np.zeros(len(month), bool), as_of)
    frame = pd.DataFrame(
        {
            "客户编号": _accounts(rng, n, "QH", 6)[subject],
            "户名": names[subject],
            "证件号码": codes[subject],
            "账单月份": _period_chinese(month),
            "用气量(立方米)": cubic,
            "应收气费(元)": np.round(cubic * price, 2),
            "缴费日期": _date_text(paid, "%Y%m%d"),
            "滞纳天数": late,
        }
    )
    return DepartmentFile(
        Source.GAS,
        "富平县秦华天然气有限公司",
        f"秦华天然气富平公司_燃气缴费_{_year_label(as_of)}.csv",
        CSV,
        "utf-8",
        frame,
        "证件号码",
    )


def _period_compact(month: np.ndarray) -> np.ndarray:
    year, calendar = _month_parts(month)
    return (year * 100 + calendar).astype(str).astype(object)


def _period_dash(month: np.ndarray) -> np.ndarray:
    labels = {m: f"{m // 12}-{m % 12 + 1:02d}" for m in np.unique(month).tolist()}
    return pd.Series(month).map(labels).to_numpy(dtype=object)


def _period_chinese(month: np.ndarray) -> np.ndarray:
    labels = {m: f"{m // 12}年{m % 12 + 1}月" for m in np.unique(month).tolist()}
    return pd.Series(month).map(labels).to_numpy(dtype=object)


# ---- tax, social insurance, provident fund ---------------------------------------------------


def _grades(quality: np.ndarray, new: np.ndarray) -> np.ndarray:
    """纳税信用等级: mostly B, a quarter A, M for the newly set up, a few C and D."""
    grade = np.select(
        [quality > 0.65, quality > -1.4, quality > -2.0], ["A", "B", "C"], "D"
    ).astype(object)
    return np.where(new, "M", grade)


def _tax(
    rng: np.random.Generator,
    people: pd.DataFrame,
    firms: pd.DataFrame,
    townships: dict[str, str],
    as_of: date,
) -> DepartmentFile:
    """税务: every registered firm that files (co-ops and farms mostly pay little: farm
    produce is exempt) and the self-employed with a shop; one row a year."""
    p_files = firms["kind"].map(
        {"leading_enterprise": 1.0, "cooperative": 0.7, "family_farm": 0.5, "sme": 1.0}
    )
    filers = firms[firms["has_uscc"] & (rng.random(len(firms)) < p_files.fillna(0))]
    filers = filers.reset_index(drop=True)
    rate = filers["kind"].map(
        {"leading_enterprise": 0.035, "cooperative": 0.004, "family_farm": 0.003, "sme": 0.03}
    )
    registration = filers["kind"].map(
        {
            "leading_enterprise": "有限责任公司",
            "sme": "有限责任公司",
            "cooperative": "农民专业合作社",
            "family_farm": "个人独资企业",
        }
    )
    shop_owners = people[people["business"] & (rng.random(len(people)) < 0.35)]
    # A 种养大户 without a USCC files under the same ID number: one row per number and year.
    shop_owners = shop_owners[~shop_owners["code"].isin(firms["code"])].reset_index(drop=True)
    towns = shop_owners["village_code"].str.slice(0, 9)
    shops = rng.choice(np.array(SHOPS, dtype=object), size=len(shop_owners))
    shop_names = (
        COUNTY_NAME + towns.map(townships).fillna("") + shop_owners["name"].str.slice(1) + shops
    )

    rows = []
    years = range(as_of.year - TAX_YEARS, as_of.year)
    founded_year = np.array([d.year for d in filers["founded_on"]])
    founded_month = np.array([d.month for d in filers["founded_on"]])
    for year in years:
        active = founded_year <= year
        f = filers[active]
        months = np.where(founded_year[active] == year, 13 - founded_month[active], 12)
        quality = f["quality"].to_numpy() + rng.normal(0, 0.35, len(f))
        grade = _grades(quality, founded_year[active] >= year - 1)
        growth = (1.06 ** (year - as_of.year + 1)) * rng.lognormal(0, 0.15, len(f))
        paid = np.round(f["revenue"].to_numpy() * rate[active].to_numpy() * growth * months / 12, 2)
        filed = np.where(
            grade == "D",
            rng.integers(3, 10, len(f)),
            np.where(grade == "C", rng.integers(8, 12, len(f)), 12),
        )
        rows.append(
            pd.DataFrame(
                {
                    "纳税人识别号": f["code"].to_numpy(),
                    "纳税人名称": f["name"].to_numpy(),
                    "登记注册类型": registration[active].to_numpy(),
                    "税款所属期": f"{year}年",
                    "实缴税额(元)": np.where(grade == "D", np.round(paid * 0.3, 2), paid),
                    "纳税信用等级": grade,
                    "按期申报月数": np.minimum(filed, months),
                }
            )
        )
        k = len(shop_owners)
        fixed_tax = np.where(rng.random(k) < 0.6, 0.0, np.round(rng.uniform(300, 4000, k), 2))
        rows.append(
            pd.DataFrame(
                {
                    "纳税人识别号": shop_owners["code"].to_numpy(),
                    "纳税人名称": shop_names.to_numpy(),
                    "登记注册类型": "个体工商户",
                    "税款所属期": f"{year}年",
                    "实缴税额(元)": fixed_tax,
                    "纳税信用等级": None,  # individuals are not graded
                    "按期申报月数": np.where(rng.random(k) < 0.93, 12, rng.integers(6, 12, k)),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    return DepartmentFile(
        Source.TAX,
        "国家税务总局富平县税务局",
        f"富平县税务局_纳税信息_{as_of.year - TAX_YEARS}-{as_of.year - 1}年度.xlsx",
        XLSX,
        "",
        frame,
        "纳税人识别号",
    )


def _social_insurance(
    rng: np.random.Generator, firms: pd.DataFrame, months: np.ndarray, as_of: date
) -> DepartmentFile:
    """社保: employers with staff on the books, one row per employer and month."""
    p = firms["kind"].map(
        {"leading_enterprise": 1.0, "sme": 0.85, "cooperative": 0.3, "family_farm": 0.1}
    )
    employers = firms[
        firms["has_uscc"] & (firms["employees"] >= 3) & (rng.random(len(firms)) < p.fillna(0))
    ].reset_index(drop=True)
    n = len(employers)
    insured = np.maximum(1, np.round(employers["employees"] * rng.uniform(0.5, 1.0, n)))
    subject, month = _grid(n, months)
    staff = np.maximum(1, insured[subject] + rng.integers(-1, 2, len(month))).astype(np.int64)
    weak = employers["quality"].to_numpy() < -1.2
    missed = rng.random(len(month)) < np.where(weak, 0.35, 0.01)[subject]
    due = np.round(staff * SOCIAL_INSURANCE_PER_PERSON, 2)
    frame = pd.DataFrame(
        {
            "单位编号": np.array([f"61052800{i:05d}" for i in range(1, n + 1)], dtype=object)[
                subject
            ],
            "统一社会信用代码": employers["code"].to_numpy()[subject],
            "单位名称": employers["name"].to_numpy()[subject],
            "费款所属期": _period_compact(month),
            "参保人数": staff,
            "应缴金额(元)": due,
            "实缴月数": np.where(missed, 0, 1),
            "欠费金额(元)": np.where(missed, due, 0.0),
        }
    )
    return DepartmentFile(
        Source.SOCIAL_INSURANCE,
        "富平县社会保险经办中心",
        f"富平县社保中心_单位参保缴费_{_year_label(as_of)}.csv",
        CSV,
        "utf-8-sig",
        frame,
        "统一社会信用代码",
    )


def _provident_fund(rng: np.random.Generator, firms: pd.DataFrame, as_of: date) -> DepartmentFile:
    """公积金: the leading enterprises and the larger SMEs; one row per employer and year."""
    depositors = firms[
        firms["has_uscc"]
        & (
            (firms["kind"] == "leading_enterprise")
            | (
                (firms["kind"] == "sme")
                & (firms["employees"] >= 10)
                & (rng.random(len(firms)) < 0.6)
            )
        )
    ].reset_index(drop=True)
    n = len(depositors)
    rows = []
    accounts = np.array([f"6105280{i:06d}" for i in rng.permutation(n) + 1000], dtype=object)
    for year in range(as_of.year - FUND_YEARS, as_of.year):
        staff = np.maximum(1, np.round(depositors["employees"] * rng.uniform(0.3, 0.8, n)))
        weak = depositors["quality"].to_numpy() + rng.normal(0, 0.3, n) < -1.3
        months = np.where(weak, rng.integers(6, 12, n), 12)
        rows.append(
            pd.DataFrame(
                {
                    "单位账号": accounts,
                    "单位名称": depositors["name"].to_numpy(),
                    "统一社会信用代码": depositors["code"].to_numpy(),
                    "年度": f"{year}年度",
                    "正常缴存人数": staff.astype(np.int64),
                    "实缴月数": months,
                    "汇缴金额(元)": np.round(staff * PROVIDENT_FUND_PER_PERSON * months, 2),
                }
            )
        )
    return DepartmentFile(
        Source.PROVIDENT_FUND,
        "渭南市住房公积金管理中心富平县管理部",
        f"住房公积金富平管理部_单位缴存情况_{as_of.year - FUND_YEARS}-{as_of.year - 1}.xlsx",
        XLSX,
        "",
        pd.concat(rows, ignore_index=True),
        "统一社会信用代码",
    )


# ---- bank loans ------------------------------------------------------------------------------


def _status(days_overdue: np.ndarray, watch: np.ndarray) -> np.ndarray:
    """五级分类 from days overdue, as the rural banks classify small loans."""
    return np.select(
        [days_overdue > 360, days_overdue > 180, days_overdue > 90, (days_overdue > 0) | watch],
        ["损失", "可疑", "次级", "关注"],
        "正常",
    ).astype(object)


def _loans(
    rng: np.random.Generator, county, people: pd.DataFrame, firms: pd.DataFrame, as_of: date
) -> list[DepartmentFile]:
    """Each bank's 贷款台账 in the template the county's 人民银行 branch asks for: the loans
    cadres recorded, loans settled in the last three years, and firms' loans."""
    data_date = date(as_of.year, as_of.month, 1) - timedelta(days=1)
    report_day = np.datetime64(data_date, "D")
    gap = (np.datetime64(as_of, "D") - report_day).astype(np.int64)
    ids = people.set_index("household_id")

    # Outstanding loans as the households' files record them, seen from the month end (a
    # loan drawn since then is not in this ledger yet).
    bank = county.liabilities[county.liabilities["kind"] == "银行贷款"]
    start = pd.to_datetime(bank["start_date"]).to_numpy().astype("datetime64[D]")
    bank = bank[start <= report_day].reset_index(drop=True)
    start = start[start <= report_day]
    due = pd.to_datetime(bank["due_date"]).to_numpy().astype("datetime64[D]")
    overdue = np.maximum(bank["overdue_days"].to_numpy() - gap, 0)
    balance = bank["balance"].to_numpy(dtype=float)
    n = len(bank)
    repaid_share = np.where(overdue > 0, rng.uniform(0, 0.15, n), rng.uniform(0, 0.4, n))
    amount = np.ceil(balance / (1 - repaid_share) / 1000) * 1000
    watch = (rng.random(n) < 0.03) & (overdue == 0)
    parts = [
        pd.DataFrame(
            {
                "code": ids.loc[bank["household_id"], "code"].to_numpy(),
                "name": ids.loc[bank["household_id"], "name"].to_numpy(),
                "bank": bank["creditor"].to_numpy(),
                "product": np.where(amount > 100_000, "household_large", "household"),
                "amount": amount,
                "start": start,
                "due": due,
                "status": _status(overdue, watch),
                "overdue": overdue,
                "balance": balance,
                "repaid": np.datetime64("NaT", "D"),
            }
        )
    ]
    # Settled loans: a fifth of households borrowed and repaid in the last three years; those
    # whose files note an arrear "已结清" repaid theirs late.
    county_people = people[~people["outsider"]]
    past = county.records[
        (county.records["category"] == "贷款逾期") & county.records["ended_on"].notna()
    ].drop_duplicates("household_id")
    past_ids = past["household_id"].astype(int).to_numpy()
    on_time = county_people["household_id"].to_numpy()[rng.random(len(county_people)) < 0.2]
    on_time = np.setdiff1d(on_time, past_ids)
    k = len(on_time)
    repaid = report_day - rng.integers(20, 3 * 365, k).astype("timedelta64[D]")
    on_time_due = repaid + rng.integers(0, 60, k).astype("timedelta64[D]")
    late_due = pd.to_datetime(past["occurred_on"]).to_numpy().astype("datetime64[D]")
    late_repaid = pd.to_datetime(past["ended_on"]).to_numpy().astype("datetime64[D]")
    borrowers = np.concatenate([on_time, past_ids])
    due = np.concatenate([on_time_due, late_due])
    term = rng.choice([365, 730], size=len(borrowers), p=[0.7, 0.3]).astype("timedelta64[D]")
    k = len(borrowers)
    parts.append(
        pd.DataFrame(
            {
                "code": ids.loc[borrowers, "code"].to_numpy(),
                "name": ids.loc[borrowers, "name"].to_numpy(),
                "bank": rng.choice(np.array(v.BANKS, dtype=object), size=k, p=v.BANK_WEIGHTS),
                "product": "household",
                "amount": np.round(rng.lognormal(np.log(40_000), 0.5, k) / 1000) * 1000,
                "start": due - term,
                "due": due,
                "status": "正常",
                "overdue": 0,
                "balance": 0.0,
                "repaid": np.concatenate([repaid, late_repaid]),
            }
        )
    )
    # People with no file here who borrowed from a county bank.
    strangers = people[people["outsider"] & (rng.random(len(people)) < 0.3)]
    parts.append(_new_loans(rng, strangers, "household", report_day))
    # Firms: most entities borrow, and three SMEs in five.
    p_borrow = (
        firms["kind"]
        .map(
            {
                "leading_enterprise": 0.95,
                "cooperative": 0.75,
                "family_farm": 0.75,
                "large_grower": 0.7,
            }
        )
        .fillna(0.6)
    )
    borrowing = firms[rng.random(len(firms)) < p_borrow].reset_index(drop=True)
    parts.append(_new_loans(rng, borrowing, None, report_day))

    loans = pd.concat(parts, ignore_index=True)
    files = []
    for name in v.BANKS:
        mine = loans[loans["bank"] == name].reset_index(drop=True)
        contract_year = pd.Series(mine["start"]).dt.year.astype(int).to_numpy()
        serial = rng.permutation(len(mine)) + int(rng.integers(1000, 5000))
        contracts = [
            f"{CONTRACT_PREFIX[name]}{y}{s:07d}"
            for y, s in zip(contract_year.tolist(), serial.tolist(), strict=True)
        ]
        frame = pd.DataFrame(
            {
                "借款人名称": mine["name"].to_numpy(),
                "借款人证件号码": mine["code"].to_numpy(),
                "贷款机构": name,
                "借款合同号": contracts,
                "贷款品种": mine["product"].map(LOAN_PRODUCTS).to_numpy(),
                "合同金额(元)": mine["amount"].to_numpy(dtype=float),
                "发放日期": _as_dates(mine["start"].to_numpy()),
                "到期日": _as_dates(mine["due"].to_numpy()),
                "五级分类": mine["status"].to_numpy(),
                "逾期天数": mine["overdue"].to_numpy().astype(np.int64),
                "贷款余额(元)": mine["balance"].to_numpy(dtype=float),
                "结清日期": _as_dates(mine["repaid"].to_numpy()),
                "数据日期": data_date,
            }
        ).sort_values(["发放日期", "借款合同号"], ignore_index=True)
        files.append(
            DepartmentFile(
                Source.BANK_LOAN,
                name,
                f"{BANK_SHORT[name]}_涉农贷款台账_{data_date:%Y%m%d}.xlsx",
                XLSX,
                "",
                frame,
                "借款人证件号码",
            )
        )
    return files


def _new_loans(
    rng: np.random.Generator, borrowers: pd.DataFrame, product: str | None, report_day
) -> pd.DataFrame:
    """Loans drawn for people or firms the households' files do not describe."""
    n = len(borrowers)
    if product is None:
        kind = borrowers["kind"].to_numpy()
        scale = np.maximum(borrowers["debts"].to_numpy(), borrowers["revenue"].to_numpy() * 0.3)
        amount = np.clip(np.round(scale * rng.uniform(0.4, 1.0, n) / 10_000) * 10_000, 50_000, 3e7)
        quality = borrowers["quality"].to_numpy()
        products = kind
        bank_p = np.where(
            np.isin(kind, ["leading_enterprise", "sme"])[:, None],
            [0.45, 0.25, 0.30],
            list(v.BANK_WEIGHTS),
        )
    else:
        amount = np.round(rng.lognormal(np.log(50_000), 0.5, n) / 1000) * 1000
        quality = rng.normal(0, 1, n) - 2 * (borrowers["overdue"].to_numpy() > 0)
        products = np.full(n, product, dtype=object)
        bank_p = np.tile(v.BANK_WEIGHTS, (n, 1))
    cumulative = np.cumsum(bank_p, axis=1)
    banks = np.array(v.BANKS, dtype=object)[(rng.random(n)[:, None] > cumulative).sum(axis=1)]
    term = rng.choice([365, 730, 1095], size=n, p=[0.5, 0.3, 0.2])
    in_trouble = quality < -1.8
    overdue = np.where(in_trouble, rng.integers(15, 500, n), 0)
    elapsed = np.where(in_trouble, term + overdue, (rng.random(n) * (term - 1)).astype(np.int64))
    start = report_day - elapsed.astype("timedelta64[D]")
    due = start + term.astype("timedelta64[D]")
    progress = np.clip(elapsed / term, 0, 1)
    balance = np.where(
        in_trouble,
        np.round(amount * rng.uniform(0.5, 1.0, n), -2),
        np.round(amount * (1 - 0.6 * progress), -2),
    )
    return pd.DataFrame(
        {
            "code": borrowers["code"].to_numpy(),
            "name": borrowers["name"].to_numpy(),
            "bank": banks,
            "product": products,
            "amount": amount,
            "start": start,
            "due": due,
            "status": _status(overdue, np.zeros(n, bool)),
            "overdue": overdue,
            "balance": np.minimum(balance, amount),
            "repaid": np.datetime64("NaT", "D"),
        }
    )


# ---- public credit records -------------------------------------------------------------------

# industry -> (licence, issuing authority, document number prefix)
LICENCES = {
    "农产品加工": ("食品生产许可证（柿饼、果脯）", "富平县市场监督管理局", "SC116105280"),
    "食品制造": ("食品生产许可证", "富平县市场监督管理局", "SC110610528"),
    "餐饮": ("食品经营许可证", "富平县市场监督管理局", "JY261052800"),
    "物流": ("道路运输经营许可证", "富平县交通运输局", "陕交运管许可渭字610528"),
    "建材": ("排污许可证", "渭南市生态环境局富平分局", "91610528PW"),
    "农资销售": ("农药经营许可证", "富平县农业农村局", "农药经许(陕)6105280"),
    "乡村旅游": ("食品经营许可证", "富平县市场监督管理局", "JY261052801"),
    "leading_enterprise": ("食品生产许可证", "富平县市场监督管理局", "SC101610528"),
    "cooperative": ("农作物种子生产经营许可证", "富平县农业农村局", "D(陕渭富)农种许字"),
    "livestock": ("动物防疫条件合格证", "富平县农业农村局", "(富)动防合字第"),
}
FIRM_PENALTIES = (
    ("未按规定公示食品经营许可证", "富平县市场监督管理局", "轻微"),
    ("超限超载运输", "富平县交通运输局", "一般"),
    ("施工扬尘污染防治措施不到位", "渭南市生态环境局富平分局", "一般"),
    ("销售不合格农资产品", "富平县农业农村局", "一般"),
    ("未按规定申报缴纳税款", "国家税务总局富平县税务局", "轻微"),
)
DEMONSTRATION_AUTHORITIES = {
    "国家级": "农业农村部",
    "省级": "陕西省农业农村厅",
    "市级": "渭南市农业农村局",
    "县级": "富平县农业农村局",
}
# Household honours a government body publishes (village committees' and Party branches'
# awards stay in the village's own files).
PUBLISHED_HONOURS = {
    "县文明办": ("富平县精神文明建设指导委员会办公室", "富文明办发"),
    "镇妇联": ("{town}妇女联合会", "{town}妇字"),
    "镇政府": ("{town}人民政府", "{town}政发"),
}
PUBLIC_COLUMNS = (
    "名称",
    "证件类型",
    "证件号码",
    "信息类别",
    "决定文书号",
    "事项名称",
    "决定机关",
    "决定日期",
    "结束日期",
    "严重程度",
)


def _public_records(
    rng: np.random.Generator, county, people: pd.DataFrame, firms: pd.DataFrame, as_of: date
) -> DepartmentFile:
    """信用中国（陕西富平）: licences, penalties, 失信被执行人 and honours, including a few old
    negative records that ended more than five years ago (the retention rule hides them)."""
    serial = itertools.count(int(rng.integers(100, 900)))
    townships = _township_names(county.regions)
    rows: list[dict] = []

    def add(code, name, kind, document, title, authority, decided, ended=None, severity=""):
        rows.append(
            {
                "名称": name,
                "证件类型": "居民身份证"
                if len(code) == 18 and code[:17].isdigit()
                else "统一社会信用代码",
                "证件号码": code,
                "信息类别": kind,
                "决定文书号": document,
                "事项名称": title,
                "决定机关": authority,
                "决定日期": decided.isoformat(),
                "结束日期": ended.isoformat() if ended else "",
                "严重程度": severity,
            }
        )

    def doc(prefix: str, year: int) -> str:
        return f"{prefix}〔{year}〕{next(serial)}号"

    def days_ago(low: int, high: int) -> date:
        return as_of - timedelta(days=int(rng.integers(low, high)))

    registered = firms[firms["has_uscc"]]
    for firm in registered.itertuples(index=False):
        livestock = firm.herd_size > 0
        key = firm.industry if firm.kind == "sme" else ("livestock" if livestock else firm.kind)
        if key not in LICENCES or (firm.kind != "sme" and rng.random() > 0.6):
            continue
        title, authority, prefix = LICENCES[key]
        decided = days_ago(30, 4 * 365)
        add(
            firm.code,
            firm.name,
            "行政许可",
            f"{prefix}{next(serial)}",
            title,
            authority,
            decided,
            decided + timedelta(days=5 * 365),
        )
    for firm in firms[firms["kind"] == "sme"].itertuples(index=False):
        if rng.random() < 0.08:
            title, authority, severity = FIRM_PENALTIES[int(rng.integers(len(FIRM_PENALTIES)))]
            decided = days_ago(60, 3 * 365)
            add(
                firm.code, firm.name, "行政处罚", doc("富罚决字", decided.year), title,
                authority, decided, decided + timedelta(days=int(rng.integers(15, 90))), severity,
            )  # fmt: skip

    by_household = people.set_index("household_id")
    by_entity = firms.iloc[: len(county.entities)].reset_index(drop=True)
    for record in county.records.itertuples(index=False):
        if pd.notna(record.household_id):
            subject = by_household.loc[int(record.household_id)]
            code, name = subject["code"], subject["name"]
        else:
            entity = by_entity.iloc[int(record.entity_id) - 1]
            code, name = entity["code"], entity["name"]
        decided = record.occurred_on
        if record.category == "行政处罚":
            add(
                code, name, "行政处罚", doc("富罚决字", decided.year), record.description,
                record.source if record.source.startswith("富平") else COUNTY_NAME
                + record.source.removeprefix("县"),
                decided, decided + timedelta(days=int(rng.integers(15, 90))), "一般",
            )  # fmt: skip
        elif record.category == "失信被执行人":
            add(
                code, name, "失信被执行人", f"({decided.year})陕0528执{next(serial)}号",
                "借款合同纠纷，有履行能力而拒不履行生效法律文书确定义务", "富平县人民法院",
                decided, None, "严重",
            )  # fmt: skip
        elif record.category == "荣誉表彰" and pd.notna(record.household_id):
            if record.source in PUBLISHED_HONOURS:
                town = townships.get(subject["village_code"][:9], "")
                authority, prefix = PUBLISHED_HONOURS[record.source]
                add(
                    code, name, "荣誉表彰", doc(prefix.format(town=town[:2]), decided.year),
                    record.description, authority.format(town=town), decided,
                )  # fmt: skip
        elif record.category == "荣誉表彰":
            level = next(
                (k for k in DEMONSTRATION_AUTHORITIES if record.description.startswith(k)), "县级"
            )
            add(
                code, name, "荣誉表彰", doc("农经发", decided.year), record.description,
                DEMONSTRATION_AUTHORITIES[level], decided,
            )  # fmt: skip

    # Old 失信 and penalties, settled more than five years ago: still on the platform's lists,
    # past the retention period.
    county_people = people[~people["outsider"]]
    old = county_people.sample(n=max(2, len(county_people) // 400), random_state=rng)
    for person in old.itertuples(index=False):
        ended = days_ago(5 * 365 + 60, 8 * 365)
        decided = ended - timedelta(days=int(rng.integers(90, 700)))
        if rng.random() < 0.5:
            add(
                person.code, person.name, "失信被执行人",
                f"({decided.year})陕0528执{next(serial)}号",
                "民间借贷纠纷，有履行能力而拒不履行生效法律文书确定义务", "富平县人民法院",
                decided, ended, "严重",
            )  # fmt: skip
        else:
            title, authority = v.PENALTIES[int(rng.integers(len(v.PENALTIES)))]
            add(
                person.code, person.name, "行政处罚", doc("富罚决字", decided.year), title,
                COUNTY_NAME + authority.removeprefix("县"), decided, ended, "一般",
            )  # fmt: skip

    # People and firms with no file here.
    outsiders = people[people["outsider"]]
    for person in outsiders.sample(n=max(2, len(outsiders) // 40), random_state=rng).itertuples(
        index=False
    ):
        decided = days_ago(30, 900)
        add(
            person.code, person.name, "失信被执行人", f"({decided.year})陕0528执{next(serial)}号",
            "买卖合同纠纷，有履行能力而拒不履行生效法律文书确定义务", "富平县人民法院",
            decided, None, "严重",
        )  # fmt: skip
    for firm in firms[firms["outsider"]].itertuples(index=False):
        decided = days_ago(30, 600)
        add(
            firm.code, firm.name, "行政许可", f"富审批许〔{decided.year}〕{next(serial)}号",
            "设立登记", "富平县行政审批服务局", decided,
        )  # fmt: skip

    frame = pd.DataFrame(rows, columns=list(PUBLIC_COLUMNS))
    frame = frame.sort_values(["决定日期", "决定文书号"], ignore_index=True)
    return DepartmentFile(
        Source.PUBLIC_RECORD,
        "富平县社会信用体系建设领导小组办公室",
        f"信用中国（陕西富平）_公共信用信息_{as_of:%Y%m%d}.csv",
        CSV,
        "utf-8",
        frame,
        "证件号码",
    )
