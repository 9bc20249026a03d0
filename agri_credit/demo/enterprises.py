"""The demo county's 中小微企业 (SMEs), reproducible from a seed: no Flask, no database.

`generate_enterprises(seed, regions, as_of, taken_usccs)` returns one row per firm with the
`enterprises` table's columns (`id` counts from 1; the loader shifts it) plus the figures
the departmental files are drawn from (`annual_revenue`), which the table does not keep.
"""

from datetime import date

import numpy as np
import pandas as pd

from models import RegionLevel

from . import vocabulary as v
from .generator import COUNTY_CODE, _given_names, _phones, _surnames, _uscc

DEFAULT_COUNT = 60
ENTERPRISE_COLUMNS = (
    "id",
    "uscc",
    "name",
    "industry",
    "region_code",
    "county_code",
    "legal_representative",
    "phone",
    "registered_capital",
    "founded_on",
    "employees",
)

# industry: (share, name words, employees (median, max), revenue per employee in yuan)
INDUSTRIES: dict[str, tuple[float, tuple[str, ...], tuple[int, int], float]] = {
    "农产品加工": (0.20, ("柿饼加工", "果品", "农产品加工", "粮油"), (18, 120), 260_000),
    "物流": (0.12, ("物流", "运输", "仓储物流"), (12, 60), 300_000),
    "餐饮": (0.12, ("餐饮管理", "饮食服务"), (8, 30), 120_000),
    "建材": (0.12, ("建材", "新型建材", "水泥制品"), (15, 80), 350_000),
    "农资销售": (0.10, ("农资", "农资连锁"), (5, 15), 600_000),
    "商贸": (0.10, ("商贸", "贸易"), (6, 25), 500_000),
    "电子商务": (0.08, ("电子商务", "网络科技"), (6, 30), 400_000),
    "食品制造": (0.08, ("食品", "乳制品"), (25, 150), 280_000),
    "乡村旅游": (0.05, ("旅游开发", "生态农业观光"), (10, 40), 150_000),
    "农机服务": (0.03, ("农机服务", "农机维修"), (4, 12), 200_000),
}
BRANDS = v._words(
    "恒通 金城 顺达 鼎盛 华泰 聚源 荣昌 永兴 德胜 宏图 通达 长丰 信达 和盛 福源 泰和 鸿运"
    " 广源 安泰 瑞祥 万通 隆盛 汇丰 嘉诚 东升 明远 正大 开元 新宇 昌盛"
)


def generate_enterprises(
    seed: int,
    regions: pd.DataFrame,
    as_of: date,
    taken_usccs: set[str] | None = None,
    count: int = DEFAULT_COUNT,
) -> pd.DataFrame:
    """`count` firms spread over the county's townships and villages: most registered at a
    township seat, a third in a village, a few at the county level. `taken_usccs` (the
    entities' codes) are never reused."""
    rng = np.random.default_rng([seed, 7])  # its own stream: the county's draws stay as they were
    taken = set(taken_usccs or ())
    townships = regions[regions["level"] == RegionLevel.TOWNSHIP.value].reset_index(drop=True)
    villages = regions[regions["level"] == RegionLevel.VILLAGE.value].reset_index(drop=True)
    names = list(INDUSTRIES)
    shares = np.array([INDUSTRIES[k][0] for k in names])
    industry = rng.choice(np.array(names, dtype=object), size=count, p=shares / shares.sum())
    level = rng.choice(np.array(["village", "township", "county"]), size=count, p=(0.35, 0.55, 0.1))
    founded_year = np.where(
        rng.random(count) < 0.1, as_of.year - 1, rng.integers(2005, as_of.year - 1, count)
    )
    male = rng.random(count) < 0.82
    born = np.full(count, int(np.datetime64("1978-01-01", "D").astype(np.int64)))
    representatives = _surnames(rng, count) + _given_names(rng, male, born)
    mobiles = _phones(rng, count)
    landline = rng.random(count) < 0.3

    rows, used_names = [], set()
    for i in range(count):
        kind = str(industry[i])
        _, words, (median, most), per_head = INDUSTRIES[kind]
        if level[i] == "village":
            village = villages.iloc[int(rng.integers(len(villages)))]
            region_code = village["code"]
            township = townships[townships["code"] == village["parent_code"]].iloc[0]["name"]
        elif level[i] == "township":
            township_row = townships.iloc[int(rng.integers(len(townships)))]
            region_code, township = township_row["code"], township_row["name"]
        else:
            region_code, township = v.COUNTY[0], ""
        brand = str(rng.choice(BRANDS))
        word = str(rng.choice(words))
        name = f"{v.COUNTY[1]}{brand}{word}有限公司"
        if name in used_names:  # registries tell namesakes apart by the place
            name = f"{v.COUNTY[1]}{township}{brand}{word}有限公司"
        while name in used_names:
            name = name.replace("有限公司", f"{len(used_names)}有限公司")
        used_names.add(name)
        employees = int(np.clip(rng.lognormal(np.log(median), 0.6), 2, most))
        revenue = employees * per_head * rng.lognormal(0, 0.35)
        capital = np.clip(revenue * rng.uniform(0.1, 0.6), 100_000, 50_000_000)
        founded = date(int(founded_year[i]), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        phone = f"0913-{rng.integers(8_000_000, 8_999_999)}" if landline[i] else mobiles[i]
        rows.append(
            {
                "id": i + 1,
                "uscc": _uscc(rng, "91", taken),
                "name": name,
                "industry": kind,
                "region_code": region_code,
                "county_code": COUNTY_CODE,
                "legal_representative": representatives[i],
                "phone": phone,
                "registered_capital": float(round(capital / 10_000) * 10_000),
                "founded_on": founded,
                "employees": employees,
                "annual_revenue": float(round(revenue / 1000) * 1000),
            }
        )
    return pd.DataFrame(rows)
