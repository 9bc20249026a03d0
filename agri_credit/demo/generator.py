"""A believable county as DataFrames, reproducible from a seed: no Flask, no database.

`generate_county(seed, sizes, as_of)` returns one frame per table. Rows carry local integer
ids (households, entities and users count from 1) and plain ID numbers; the loader shifts the
ids past what the database holds and encrypts the ID numbers.

Everything is drawn column-wise with numpy, so 30,000 households take a few seconds. The
figures are correlated the way a cadre would expect: members' ages follow from the head's
(children are 21-36 years younger than their mother), income follows land, crops, herds and
the members working away, deposits follow income, loans follow scale, overdue loans leave a
negative record and lower the village evaluation.
"""

from dataclasses import dataclass, fields
from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd

from agri_credit.entities.completeness import assess_entities
from agri_credit.households.completeness import assess_households
from models import NEGATIVE, POSITIVE, EntityType, RegionLevel, Role, clock, mask_id
from village_forms import household_fields as hf
from village_forms.identifiers import ID_CHECK_CHARS, ID_WEIGHTS, USCC_CHARSET, uscc_check_char

from . import vocabulary as v

COUNTY_CODE = v.COUNTY[0][:6]
DAYS_PER_YEAR = 365.25
MAX_ORDER_CODES = 500  # GB 11643 order codes per birth date, area and sex (odd male, even female)


@dataclass(frozen=True)
class CountySizes:
    households: int = 30_000
    townships: int = 9
    villages: int = 90
    entities: int | None = None  # None: 1.4 % of households, at least 40

    @property
    def entity_count(self) -> int:
        if self.entities is not None:
            return self.entities
        return max(40, self.households * 14 // 1000)

    def check(self) -> None:
        if not 1 <= self.townships <= len(v.TOWNSHIPS):
            raise ValueError(f"townships must be between 1 and {len(v.TOWNSHIPS)}")
        if not self.townships <= self.villages <= len(v.VILLAGE_NAMES):
            raise ValueError(f"villages must be between townships and {len(v.VILLAGE_NAMES)}")
        if self.households < self.villages:
            raise ValueError("need at least one household per village")
        if self.entity_count > self.households:
            raise ValueError("more entities than households to run them")


@dataclass(frozen=True)
class DemoCounty:
    """One frame per table, in foreign-key order."""

    regions: pd.DataFrame
    users: pd.DataFrame
    households: pd.DataFrame
    members: pd.DataFrame
    assets: pd.DataFrame
    liabilities: pd.DataFrame
    production: pd.DataFrame
    insurance: pd.DataFrame
    evaluations: pd.DataFrame
    entities: pd.DataFrame
    records: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def generate_county(
    seed: int, sizes: CountySizes | None = None, as_of: date | None = None
) -> DemoCounty:
    """The whole county. `as_of` (default today) anchors ages, loan dates and evaluation years,
    so the same seed and date always give the same frames."""
    sizes = sizes or CountySizes()
    sizes.check()
    as_of = as_of or clock.today()
    rng = np.random.default_rng(seed)
    regions, villages = _regions(rng, sizes)
    people = _people(rng, villages, sizes.households, as_of)
    users = _users(rng, regions, villages, people)
    county = _households(rng, villages, people, users, as_of)
    entities, entity_records = _entities(rng, villages, people, sizes.entity_count, as_of)
    records = pd.concat([county.pop("records"), entity_records], ignore_index=True)
    return DemoCounty(regions=regions, users=users, entities=entities, records=records, **county)


# ---- regions ------------------------------------------------------------------------------


def _regions(rng: np.random.Generator, sizes: CountySizes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The region tree, and per village what drives its households (groups, crops, file lag)."""
    province, city, county = v.PROVINCE, v.CITY, v.COUNTY
    rows = [
        (province[0], province[1], RegionLevel.PROVINCE.value, None),
        (city[0], city[1], RegionLevel.CITY.value, province[0]),
        (county[0], county[1], RegionLevel.COUNTY.value, city[0]),
    ]
    # Every township gets at least one village; the rest are spread unevenly like real ones.
    per_township = 1 + rng.multinomial(
        sizes.villages - sizes.townships, rng.dirichlet(np.full(sizes.townships, 6.0))
    )
    names = rng.permutation(np.array(v.VILLAGE_NAMES, dtype=object))[: sizes.villages]
    crop_names = list(v.CROPS)
    base = np.array([0.42, 0.0, 0.12, 0.05, 0.08, 0.10, 0.05, 0.04, 0.14])  # order of v.CROPS
    village_rows = []
    taken = 0
    for t in range(sizes.townships):
        t_name = v.TOWNSHIPS[t][0]
        t_code = f"{COUNTY_CODE}{100 + t:03d}000"
        rows.append((t_code, t_name, RegionLevel.TOWNSHIP.value, county[0]))
        # Each township is known for two cash crops (曹村的柿子, 宫里的花椒 ...).
        weights = base.copy()
        specialties = rng.choice(np.arange(2, len(crop_names)), size=2, replace=False)
        weights[specialties] *= 3.5
        for k in range(per_township[t]):
            code = f"{t_code[:9]}{k + 1:03d}"
            name = names[taken]
            taken += 1
            rows.append((code, name, RegionLevel.VILLAGE.value, t_code))
            village_rows.append(
                {
                    "code": code,
                    "name": name,
                    "township": t_name,
                    "township_index": t,
                    "groups": int(rng.integers(4, 11)),
                    # How far the village is behind in building files; a few lag badly.
                    "lag": float(rng.beta(0.8, 6.0)),
                    "crop_weights": rng.dirichlet(weights / weights.sum() * 40),
                }
            )
    regions = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code"])
    return regions, pd.DataFrame(village_rows)


# ---- people -------------------------------------------------------------------------------


@dataclass
class _People:
    """Households' heads (arrays of length H) and their members (a frame)."""

    village: np.ndarray
    head_name: np.ndarray
    head_male: np.ndarray
    head_born: np.ndarray  # days since 1970-01-01
    head_surname: np.ndarray
    head_id: np.ndarray
    members: pd.DataFrame


def _days(as_of: date) -> int:
    return int(np.datetime64(as_of, "D").astype(np.int64))


def _born_from_age(rng: np.random.Generator, age: np.ndarray, today: int) -> np.ndarray:
    offset = (np.maximum(age, 0) * DAYS_PER_YEAR + rng.uniform(0, 365, len(age))).astype(np.int64)
    return today - offset


def _birth_year(born: np.ndarray) -> np.ndarray:
    return born.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    chars = np.array([s for s, _ in v.SURNAMES], dtype=object)
    weights = np.array([w for _, w in v.SURNAMES])
    return rng.choice(chars, size=n, p=weights / weights.sum())


def _given_names(rng: np.random.Generator, male: np.ndarray, born: np.ndarray) -> np.ndarray:
    cohort = np.searchsorted(np.array(v.COHORT_BOUNDS), _birth_year(born), side="right")
    given = np.empty(len(male), dtype=object)
    for is_male, pools in ((True, v.MALE_NAMES), (False, v.FEMALE_NAMES)):
        for c, pool in enumerate(pools):
            mask = (male == is_male) & (cohort == c)
            given[mask] = rng.choice(np.array(pool, dtype=object), size=int(mask.sum()))
    return given


def _pick(rng: np.random.Generator, n: int, labels, probabilities) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float)
    return rng.choice(np.array(labels, dtype=object), size=n, p=p / p.sum())


def _by_thresholds(u: np.ndarray, cumulative: np.ndarray, labels) -> np.ndarray:
    """Row-wise categorical draw: `cumulative` has one row of cumulative probabilities each."""
    index = (u[:, None] > cumulative).sum(axis=1).clip(0, len(labels) - 1)
    return np.array(labels, dtype=object)[index]


def _health(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    # 健康, 一般, 慢性病, 残疾, 重病 by age band; chronic illness rises steeply after 60.
    table = np.array(
        [
            [0.90, 0.07, 0.02, 0.007, 0.003],
            [0.74, 0.15, 0.08, 0.02, 0.01],
            [0.50, 0.22, 0.22, 0.04, 0.02],
            [0.30, 0.30, 0.30, 0.06, 0.04],
        ]
    )
    band = np.searchsorted(np.array([40, 60, 75]), age, side="right")
    return _by_thresholds(rng.random(len(age)), np.cumsum(table, axis=1)[band], hf.HEALTH)


def _people(rng: np.random.Generator, villages: pd.DataFrame, n: int, as_of: date) -> _People:
    today = _days(as_of)
    # Households per village vary two- to three-fold, as they do between real villages.
    shares = rng.lognormal(0, 0.35, len(villages))
    per_village = 1 + rng.multinomial(n - len(villages), shares / shares.sum())
    village = np.repeat(np.arange(len(villages)), per_village)

    # Heads: rural heads are old (young people work in the cities); women head mainly as widows.
    head_male = rng.random(n) < 0.88
    head_age = np.where(
        head_male,
        np.clip(rng.normal(54, 11.5, n), 24, 88),
        np.clip(rng.normal(64, 11, n), 28, 92),
    ).astype(np.int64)
    head_born = _born_from_age(rng, head_age, today)
    head_surname = _surnames(rng, n)
    head_given = _given_names(rng, head_male, head_born)
    blocks: list[dict] = []
    hh = np.arange(n)

    def block(mask, relation, male, age, surname, slot, area=None):
        idx = hh[mask]
        age = np.asarray(age)[mask] if np.ndim(age) else np.full(len(idx), age)
        male = np.asarray(male)[mask] if np.ndim(male) else np.full(len(idx), male)
        surname = surname[mask] if isinstance(surname, np.ndarray) else surname
        blocks.append(
            {
                "household": idx,
                "slot": np.full(len(idx), slot),
                "relation": np.full(len(idx), relation, dtype=object),
                "male": male.astype(bool),
                "age": age.astype(np.int64),
                "surname": surname,
                "married_in": np.full(len(idx), area is not None),
            }
        )

    # Spouse: most heads under 65 are married; widowhood rises with age.
    p_spouse = np.where(head_age < 65, 0.92, np.where(head_age < 76, 0.72, 0.45))
    p_spouse = np.where(head_male, p_spouse, 0.12)
    has_spouse = rng.random(n) < p_spouse
    spouse_age = np.clip(head_age + np.where(head_male, -2, 2) + rng.normal(0, 2.5, n), 20, 95)
    block(has_spouse, "配偶", ~head_male, spouse_age, _surnames(rng, n), 0, area="in")

    # Children of the head's generation's mother; born 21-36 years after her.
    mother_age = np.where(head_male & has_spouse, spouse_age, head_age - 2)
    mother_born_year = as_of.year - mother_age
    children = np.where(mother_born_year < 1955, 3, np.where(mother_born_year < 1975, 2, 1))
    children = children + (rng.random(n) < 0.35)
    first_gap = rng.uniform(21, 30, n)
    child_surname = np.where(head_male, head_surname, _surnames(rng, n))
    daughter_in_law = np.zeros(n, dtype=bool)
    dil_age = np.zeros(n)
    for k in range(4):
        age = np.floor(mother_age - first_gap - 3 * k - rng.uniform(0, 2, n))
        male = rng.random(n) < 0.52
        exists = (k < children) & (age >= 0)
        # Daughters marry out of the 户口 from about 23; sons stay, often with a wife.
        stays = np.where(
            age < 18,
            True,
            np.where(male, rng.random(n) < np.where(age < 30, 0.85, 0.45), age < 23),
        )
        present = exists & stays
        block(present & male, "子", True, age, child_surname, 1 + k)
        block(present & ~male, "女", False, age, child_surname, 1 + k)
        marries = present & male & (age >= 24) & ~daughter_in_law
        marries &= rng.random(n) < np.clip((age - 22) / 8, 0, 0.9)
        dil_age = np.where(marries, np.clip(age - rng.uniform(0, 4, n), 20, None), dil_age)
        daughter_in_law |= marries
    block(daughter_in_law, "儿媳", False, dil_age, _surnames(rng, n), 5, area="in")
    for k in range(2):
        age = np.floor(dil_age - rng.uniform(22, 31, n) - 3 * k)
        exists = daughter_in_law & (age >= 0) & (rng.random(n) < (0.85 if k == 0 else 0.45))
        male = rng.random(n) < 0.52
        block(exists & male, "孙子", True, age, child_surname, 6 + k)
        block(exists & ~male, "孙女", False, age, child_surname, 6 + k)

    # Parents living with a younger head; fathers die earlier than mothers.
    mother_of_head = np.floor(head_age + rng.uniform(22, 34, n))
    father_of_head = np.floor(mother_of_head + rng.uniform(0, 5, n))
    has_mother = (head_age < 62) & (mother_of_head <= 94) & (rng.random(n) < 0.35)
    has_father = has_mother & (father_of_head <= 92) & (rng.random(n) < 0.55)
    parent_surname = np.where(head_male, head_surname, _surnames(rng, n))
    block(has_father, "父亲", True, father_of_head, parent_surname, 8)
    block(has_mother, "母亲", False, mother_of_head, _surnames(rng, n), 9)
    # An unmarried brother, a sister who came back: rare, but real files have them.
    sibling = rng.random(n) < 0.015
    sibling_male = rng.random(n) < 0.7
    sibling_age = np.clip(head_age + rng.integers(-6, 7, n), 18, 90)
    block(sibling & sibling_male, "兄弟", True, sibling_age, head_surname, 10)
    block(sibling & ~sibling_male, "姐妹", False, sibling_age, head_surname, 10)

    members = pd.DataFrame(
        {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    ).sort_values(["household", "slot"], kind="stable", ignore_index=True)
    members["born"] = _born_from_age(rng, members["age"].to_numpy(), today)
    members["name"] = members["surname"].to_numpy() + _given_names(
        rng, members["male"].to_numpy(), members["born"].to_numpy()
    )
    # Wives married in from a neighbouring county keep their home county's ID number.
    area = np.full(len(members), COUNTY_CODE, dtype=object)
    away = members["married_in"].to_numpy() & (rng.random(len(members)) < 0.18)
    area[away] = rng.choice(np.array(v.NEIGHBOUR_AREAS, dtype=object), size=int(away.sum()))

    ids = _id_numbers(
        rng,
        np.concatenate([np.full(n, COUNTY_CODE, dtype=object), area]),
        np.concatenate([head_born, members["born"].to_numpy()]),
        np.concatenate([head_male, members["male"].to_numpy()]),
    )
    members["id_number"] = ids[n:]
    return _People(
        village=village,
        head_name=head_surname + head_given,
        head_male=head_male,
        head_born=head_born,
        head_surname=head_surname,
        head_id=ids[:n],
        members=members,
    )


def _id_numbers(
    rng: np.random.Generator, area: np.ndarray, born: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Unique GB 11643 numbers: area + birth date + order code (odd for men) + check char.

    People sharing area, birth date and sex get consecutive order codes from a random start,
    so no two collide as long as fewer than 500 share a day (millions of people would).
    """
    frame = pd.DataFrame({"area": area, "born": born, "male": male})
    key = frame.groupby(["area", "born", "male"], sort=False).ngroup().to_numpy()
    rank = frame.groupby(key).cumcount().to_numpy()
    if len(rank) and rank.max() >= MAX_ORDER_CODES:
        raise ValueError("too many people born on one day to give unique ID numbers")
    start = rng.integers(0, MAX_ORDER_CODES, key.max() + 1 if len(key) else 0)[key]
    order = ((start + rank) % MAX_ORDER_CODES) * 2 + male.astype(np.int64)
    dates = pd.to_datetime(born, unit="D")
    ymd = (dates.year * 10000 + dates.month * 100 + dates.day).to_numpy().astype(np.int64)
    area_num = np.array([int(a) for a in area], dtype=np.int64)
    body = np.stack([area_num, ymd, order], axis=1)
    digits = np.concatenate(
        [
            (body[:, [0]] // 10 ** np.arange(5, -1, -1)) % 10,
            (body[:, [1]] // 10 ** np.arange(7, -1, -1)) % 10,
            (body[:, [2]] // 10 ** np.arange(2, -1, -1)) % 10,
        ],
        axis=1,
    )
    check = np.array(list(ID_CHECK_CHARS))[(digits @ np.array(ID_WEIGHTS)) % 11]
    return np.array(
        [
            f"{a:06d}{d:08d}{o:03d}{c}"
            for a, d, o, c in zip(
                area_num.tolist(), ymd.tolist(), order.tolist(), check.tolist(), strict=True
            )
        ],
        dtype=object,
    )


# ---- users --------------------------------------------------------------------------------


def _users(
    rng: np.random.Generator, regions: pd.DataFrame, villages: pd.DataFrame, people: _People
) -> pd.DataFrame:
    """One cadre per village, an office per township and the county, bank officers, applicants.

    The first village's cadre is plain `cadre`; the others are `cadre_` + the village code's
    last six digits, which a county office can work out from the region list.
    """
    county_code = v.COUNTY[0]
    townships = regions[regions["level"] == RegionLevel.TOWNSHIP.value]
    n_villages = len(villages)
    surnames = _surnames(rng, n_villages + len(townships) + 8)
    born = np.full(len(surnames), _days(date(1975, 1, 1)))
    given = _given_names(rng, rng.random(len(surnames)) < 0.7, born)
    person = iter(surnames + given)
    phones = iter(_phones(rng, len(surnames)))
    rows = [
        ("county_office", f"{next(person)}（县信用办）", Role.OFFICE, county_code, "富平县信用办"),
    ]
    for _, t in townships.iterrows():
        pinyin = dict(v.TOWNSHIPS)[t["name"]]
        rows.append(
            (
                f"town_{pinyin}",
                f"{next(person)}（{t['name']}）",
                Role.OFFICE,
                t["code"],
                f"{t['name']}信用办",
            )
        )
    for k, village in villages.iterrows():
        username = "cadre" if k == 0 else f"cadre_{village['code'][6:]}"
        rows.append(
            (username, next(person), Role.CADRE, village["code"], f"{village['name']}村委会")
        )
    for username, bank in zip(("officer", "officer_psbc", "officer_abc"), v.BANKS, strict=True):
        rows.append((username, f"{next(person)}（信贷员）", Role.OFFICER, county_code, bank))
    # A farmer of the first village may log in for herself.
    first = int(np.flatnonzero(people.village == 0)[0])
    rows.append(("applicant", people.head_name[first], Role.APPLICANT, villages["code"][0], None))
    # A second person of the county office approves what the first one filed (双人复核);
    # last, so every other account keeps its name and phone.
    rows.append(
        ("county_reviewer", f"{next(person)}（县信用办）", Role.OFFICE, county_code, "富平县信用办")
    )
    users = pd.DataFrame(
        rows, columns=["username", "display_name", "role", "scope_code", "organisation"]
    )
    users["role"] = users["role"].map(str)
    users["phone"] = [next(phones) for _ in range(len(users))]
    # The applicant logs in as her own household (ids are 1-based positions, shifted on load).
    is_applicant = users["role"] == Role.APPLICANT.value
    users["subject_type"] = pd.Series(
        ["household" if a else None for a in is_applicant], dtype=object
    )
    users["subject_id"] = pd.Series(first + 1, index=users.index, dtype="Int64").where(is_applicant)
    users.insert(0, "id", np.arange(1, len(users) + 1))
    return users


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(np.array(v.MOBILE_PREFIXES, dtype=object), size=n)
    rest = rng.integers(0, 100_000_000, n)
    return np.array(
        [f"{p}{r:08d}" for p, r in zip(prefix, rest.tolist(), strict=True)], dtype=object
    )


# ---- households and their files -----------------------------------------------------------


def _money(values: np.ndarray, step: float = 100.0) -> np.ndarray:
    """Declared figures are round: to the nearest hundred yuan by default."""
    return np.round(np.asarray(values, dtype=float) / step) * step


def _children(hh: np.ndarray, **columns) -> pd.DataFrame:
    return pd.DataFrame({"household_id": hh + 1, **columns})


class _HouseholdDraw(SimpleNamespace):
    """What the household sections share: the inputs, the households' indices, and every array
    a section draws for the later ones (set as attributes by the section that draws it)."""

    def __init__(
        self,
        rng: np.random.Generator,
        villages: pd.DataFrame,
        people: _People,
        users: pd.DataFrame,
        as_of: date,
    ) -> None:
        n = len(people.village)
        members = people.members
        super().__init__(
            rng=rng,
            villages=villages,
            people=people,
            users=users,
            n=n,
            today=_days(as_of),
            year=as_of.year,
            hh=np.arange(n),
            vil=people.village,
            lag=villages["lag"].to_numpy()[people.village],
            members=members,
            m_hh=members["household"].to_numpy(),
            m_age=members["age"].to_numpy(),
        )

    def missing(self, base: float, weight: float = 0.6) -> np.ndarray:
        """Which files lack a field: a little everywhere, a lot in villages that lag."""
        return self.rng.random(self.n) < base + weight * self.lag


def _households(
    rng: np.random.Generator,
    villages: pd.DataFrame,
    people: _People,
    users: pd.DataFrame,
    as_of: date,
) -> dict[str, pd.DataFrame]:
    """Every household's file, section by section. Each section draws from the one generator
    in a fixed order, so a seed always gives the same county."""
    s = _HouseholdDraw(rng, villages, people, users, as_of)
    _draw_members(s)
    _draw_head(s)
    _draw_farming(s)
    _draw_income(s)
    _draw_assets(s)
    _draw_liabilities(s)
    _draw_records(s)
    _draw_evaluations(s)
    _draw_insurance(s)
    return _household_rows(s)


def _draw_members(s: _HouseholdDraw) -> None:
    """Members' health, labour ability, occupation and wages; the member rows."""
    rng = s.rng
    m_health = _health(rng, s.m_age)
    student = (s.m_age >= 6) & (
        (s.m_age < 16) | ((s.m_age < 22) & (rng.random(len(s.m_age)) < 0.55))
    )
    frail = np.isin(m_health, ("残疾", "重病"))
    s.labour = np.where(
        frail | (s.m_age < 16) | student | (s.m_age >= 75),
        "无劳动力",
        np.where((s.m_age >= 60) | (m_health == "慢性病") | (s.m_age < 18), "半劳动力", "全劳动力"),
    ).astype(object)
    work = _pick(
        rng,
        len(s.m_age),
        ("务农", "外出务工", "本地务工", "个体经营", "乡村教师"),
        (0.36, 0.42, 0.14, 0.05, 0.03),
    )
    s.occupation = np.where(
        s.m_age < 6,
        "学龄前儿童",
        np.where(
            student,
            "在校学生",
            np.where(s.labour == "无劳动力", "无", np.where(s.m_age >= 60, "务农", work)),
        ),
    ).astype(object)
    s.wage = np.select(
        [s.occupation == "外出务工", s.occupation == "本地务工", s.occupation == "乡村教师"],
        [
            rng.lognormal(np.log(42000), 0.3, len(s.m_age)),
            rng.lognormal(np.log(22000), 0.3, len(s.m_age)),
            rng.normal(52000, 6000, len(s.m_age)),
        ],
        0.0,
    )
    with_id = rng.random(len(s.m_age)) >= 0.03  # a few members' numbers are still to be collected
    s.members_out = pd.DataFrame(
        {
            "household_id": s.m_hh + 1,
            "name": s.members["name"],
            "id_number": np.where(with_id, s.members["id_number"], None),
            "relation": s.members["relation"],
            # The form derives sex and birth date from the ID number; without one they stay blank.
            "gender": np.where(with_id, np.where(s.members["male"], "男", "女"), ""),
            "birth_date": np.where(with_id, _dates(s.members["born"].to_numpy()), None),
            "health": m_health,
            "labour_ability": s.labour,
            "occupation": s.occupation,
        }
    )


def _draw_head(s: _HouseholdDraw) -> None:
    """The head's age, health and education; household size and labour."""
    rng, n, today = s.rng, s.n, s.today
    s.head_age = (today - s.people.head_born) / DAYS_PER_YEAR
    s.head_health = _health(rng, s.head_age.astype(np.int64))
    head_year = _birth_year(s.people.head_born)
    edu_table = np.cumsum(
        np.array(
            [
                [0.62, 0.30, 0.07, 0.01, 0.0],  # born before 1960
                [0.25, 0.55, 0.16, 0.03, 0.01],
                [0.08, 0.47, 0.27, 0.12, 0.06],
                [0.02, 0.30, 0.33, 0.22, 0.13],
            ]
        ),
        axis=1,
    )
    cohort = np.searchsorted(np.array(v.COHORT_BOUNDS), head_year, side="right")
    s.head_education = _by_thresholds(rng.random(n), edu_table[cohort], hf.EDUCATION)
    s.member_count = np.bincount(s.m_hh, minlength=n)
    s.labour_members = np.bincount(
        s.m_hh, weights=np.isin(s.labour, ("全劳动力", "半劳动力")), minlength=n
    )
    s.head_labour = ~np.isin(s.head_health, ("重病", "残疾"))
    s.household_size = 1 + s.member_count


def _draw_farming(s: _HouseholdDraw) -> None:
    """Contracted and transferred land, crops and herds, and what they earn."""
    rng, n, hh, vil, missing = s.rng, s.n, s.hh, s.vil, s.missing
    s.contracted = np.round(
        np.clip(rng.lognormal(np.log(1.7 * s.household_size), 0.35), 0.5, 30), 1
    )
    s.large = rng.random(n) < 0.07 + 0.05 * (s.head_age < 55)
    s.transferred = np.where(
        s.large, np.round(np.clip(rng.lognormal(np.log(25), 0.8, n), 3, 500), 1), np.nan
    )
    s.land = s.contracted + np.nan_to_num(s.transferred)
    crop_names = np.array(list(v.CROPS), dtype=object)
    cum = np.cumsum(np.stack(s.villages["crop_weights"].to_numpy())[vil], axis=1)
    s.main = _by_thresholds(rng.random(n), cum, crop_names)
    farms = ~(missing(0.02, 0.3) | ((s.head_age > 78) & (s.member_count == 0)))
    s.cash = farms & np.isin(s.main, v.CASH_CROPS)
    s.cash_area = np.where(s.cash, np.round(s.land * rng.uniform(0.4, 1.0, n), 1), 0.0)
    s.grain_area = np.where(farms, np.round(s.land - s.cash_area, 1), 0.0)
    s.wheat = s.grain_area >= 0.5
    maize = s.wheat & (rng.random(n) < 0.6)  # wheat then summer maize on the same field
    s.herd_kind = rng.choice(len(v.HERDS), size=n, p=v.HERD_WEIGHTS)
    s.herds = farms & (rng.random(n) < 0.14 + 0.1 * s.large)
    herd_median = np.array([h[2] for h in v.HERDS])[s.herd_kind]
    s.herd_size = np.maximum(1, np.round(rng.lognormal(np.log(herd_median), 0.7)))
    s.herd_size = np.where(
        np.array([h[0] for h in v.HERDS])[s.herd_kind] == "蛋鸡",
        np.maximum(s.herd_size, 50),
        s.herd_size,
    )

    crop_rows = [
        (s.cash, s.main, s.cash_area),
        (s.wheat, np.full(n, "小麦", dtype=object), s.grain_area),
        (maize, np.full(n, "玉米", dtype=object), s.grain_area),
    ]
    per_mu = {name: net for name, (net, _) in v.CROPS.items()}
    s.income_crops = np.zeros(n)
    production_parts = []
    for mask, name, area in crop_rows:
        net = pd.Series(name[mask]).map(per_mu).to_numpy(dtype=float)
        s.income_crops[mask] += area[mask] * net * rng.lognormal(0, 0.3, int(mask.sum()))
        production_parts.append(
            _children(hh[mask], kind="种植", name=name[mask], quantity=area[mask], unit="亩")
        )
    s.herd_names = np.array([h[0] for h in v.HERDS], dtype=object)
    s.herd_units = np.array([h[1] for h in v.HERDS], dtype=object)
    herd_net = np.array([h[3] for h in v.HERDS])
    s.herd_value = np.array([h[4] for h in v.HERDS])
    production_parts.append(
        _children(
            hh[s.herds],
            kind="养殖",
            name=s.herd_names[s.herd_kind[s.herds]],
            quantity=s.herd_size[s.herds],
            unit=s.herd_units[s.herd_kind[s.herds]],
        )
    )
    s.production = pd.concat(production_parts, ignore_index=True).sort_values(
        "household_id", kind="stable", ignore_index=True
    )
    s.income_livestock = s.herd_size * herd_net[s.herd_kind] * rng.lognormal(0, 0.35, n)


def _draw_income(s: _HouseholdDraw) -> None:
    """Income by source and yearly spending."""
    rng, n, missing = s.rng, s.n, s.missing
    head_works = (s.head_age < 55) & s.head_labour & (rng.random(n) < 0.3)
    wages = np.bincount(s.m_hh, weights=s.wage, minlength=n) + head_works * rng.normal(
        18000, 4000, n
    )
    s.business = np.bincount(s.m_hh, weights=(s.occupation == "个体经营"), minlength=n) > 0
    s.business |= rng.random(n) < 0.04
    income_business = s.business * rng.lognormal(np.log(55000), 0.5, n)
    elderly = np.bincount(s.m_hh, weights=(s.m_age >= 60), minlength=n) + (s.head_age >= 60)
    # 城乡居民基础养老金 and 耕地地力保护补贴 (about 110 yuan per 亩).
    income_other = elderly * 1800 + s.contracted * 110
    s.incomes = {
        "income_crops": np.where(s.income_crops > 0, _money(s.income_crops), np.nan),
        "income_livestock": np.where(s.herds, _money(s.income_livestock), np.nan),
        "income_business": np.where(s.business, _money(income_business), np.nan),
        "income_wages": np.where(wages > 0, _money(wages), np.nan),
        "income_other": _money(income_other),
    }
    s.gross = sum(np.nan_to_num(x) for x in s.incomes.values())
    no_income = missing(0.01, 0.3)
    for column in s.incomes.values():
        column[no_income] = np.nan
    s.spending = 5000 + 4200 * s.household_size + 0.3 * s.gross
    s.spending = np.where(
        missing(0.02, 0.5), np.nan, _money(s.spending * rng.lognormal(0, 0.15, n))
    )


def _draw_assets(s: _HouseholdDraw) -> None:
    """The house, then assets: house, machinery, vehicles, livestock, deposits, shares."""
    rng, n, hh, missing = s.rng, s.n, s.hh, s.missing
    s.housing = _pick(rng, n, hf.HOUSING, (0.60, 0.18, 0.13, 0.07, 0.02))
    s.house_area = np.round(np.clip(rng.normal(150, 40, n), 50, 400))
    s.price = (
        pd.Series(s.housing)
        .map({"砖混": 1100.0, "框架": 1500.0, "砖木": 650.0, "土木": 250.0, "其他": 400.0})
        .to_numpy()
    )

    asset_parts = []
    s.has_house = ~missing(0.01, 0.4)
    asset_parts.append(
        _children(
            hh[s.has_house],
            kind="房产",
            description=np.where(rng.random(n) < 0.5, "自建房", "宅基地房屋")[s.has_house],
            value=_money(s.house_area * s.price * rng.uniform(0.7, 1.2, n), 1000)[s.has_house],
        )
    )
    machine = s.has_house & ((s.land > 12) | (rng.random(n) < 0.12))
    machine_value = np.where(
        s.land > 30, rng.uniform(40000, 180000, n), rng.uniform(3000, 30000, n)
    )
    asset_parts.append(
        _children(
            hh[machine],
            kind="农机具",
            description=rng.choice(np.array(v.MACHINERY, dtype=object), size=n)[machine],
            value=_money(machine_value)[machine],
        )
    )
    vehicle_kind = rng.integers(0, len(v.VEHICLES), n)
    vehicle = s.has_house & (rng.random(n) < np.where(s.head_age < 55, 0.55, 0.3))
    vehicle_price = np.array([p for _, p in v.VEHICLES])[vehicle_kind]
    asset_parts.append(
        _children(
            hh[vehicle],
            kind="车辆",
            description=np.array([k for k, _ in v.VEHICLES], dtype=object)[vehicle_kind][vehicle],
            value=_money(vehicle_price * rng.uniform(0.4, 1.1, n))[vehicle],
        )
    )
    livestock_asset = s.has_house & s.herds
    asset_parts.append(
        _children(
            hh[livestock_asset],
            kind="牲畜",
            description=(
                s.herd_names[s.herd_kind]
                + np.char.mod("%d", s.herd_size).astype(object)
                + s.herd_units[s.herd_kind]
            )[livestock_asset],
            value=_money(s.herd_size * s.herd_value[s.herd_kind] * rng.uniform(0.8, 1.1, n))[
                livestock_asset
            ],
        )
    )
    deposit = s.has_house & (rng.random(n) < 0.7)
    asset_parts.append(
        _children(
            hh[deposit],
            kind="存款",
            description=rng.choice(np.array(v.BANKS, dtype=object), size=n, p=v.BANK_WEIGHTS)[
                deposit
            ],
            value=_money(np.maximum(1000, s.gross * rng.lognormal(np.log(0.6), 0.6, n)))[deposit],
        )
    )
    shares = s.has_house & (rng.random(n) < 0.05 + 0.1 * s.large)
    asset_parts.append(
        _children(
            hh[shares],
            kind="合作社股金",
            description=np.full(n, "合作社入股", dtype=object)[shares],
            value=_money(rng.uniform(2000, 30000, n), 1000)[shares],
        )
    )
    receivable = s.has_house & (rng.random(n) < 0.03)
    asset_parts.append(
        _children(
            hh[receivable],
            kind="应收款",
            description=np.full(n, "借给亲友", dtype=object)[receivable],
            value=_money(rng.uniform(5000, 50000, n), 1000)[receivable],
        )
    )
    s.assets = pd.concat(asset_parts, ignore_index=True).sort_values(
        "household_id", kind="stable", ignore_index=True
    )


def _draw_liabilities(s: _HouseholdDraw) -> None:
    """Bank loans (a few overdue) and informal loans from relatives."""
    rng, n, hh, today = s.rng, s.n, s.hh, s.today
    s.borrows = rng.random(n) < np.clip(
        0.18 + 0.25 * s.large + 0.1 * s.business + 0.05 * s.herds, 0, 0.8
    )
    s.overdue = s.borrows & (rng.random(n) < 0.045)
    s.overdue_days = np.where(
        s.overdue,
        np.where(rng.random(n) < 0.6, rng.integers(1, 90, n), rng.integers(90, 720, n)),
        0,
    )
    s.term_days = rng.choice([365, 730, 1095], size=n, p=[0.5, 0.3, 0.2])
    s.start = np.where(
        s.overdue,
        today - s.overdue_days - s.term_days,
        today - (rng.random(n) * s.term_days).astype(np.int64),
    )
    balance = _money(np.clip(s.gross * rng.lognormal(np.log(0.9), 0.5, n), 10000, 500000), 1000)
    s.loans = _children(
        hh[s.borrows],
        kind="银行贷款",
        creditor=rng.choice(np.array(v.BANKS, dtype=object), size=n, p=v.BANK_WEIGHTS)[s.borrows],
        balance=balance[s.borrows],
        start_date=_dates(s.start[s.borrows]),
        due_date=_dates((s.start + s.term_days)[s.borrows]),
        overdue_days=s.overdue_days[s.borrows],
    )
    informal = rng.random(n) < 0.05
    lender = _surnames(rng, n) + _given_names(rng, rng.random(n) < 0.8, s.people.head_born)
    informal_start = today - rng.integers(30, 400, n)
    private = _children(
        hh[informal],
        kind="民间借贷",
        creditor=("亲友" + lender)[informal],
        balance=_money(rng.uniform(5000, 60000, n), 1000)[informal],
        start_date=_dates(informal_start[informal]),
        due_date=None,
        overdue_days=0,
    )
    s.liabilities = pd.concat([s.loans, private], ignore_index=True).sort_values(
        "household_id", kind="stable", ignore_index=True
    )


def _draw_records(s: _HouseholdDraw) -> None:
    """Negative and positive credit records."""
    rng, n, hh, today, year = s.rng, s.n, s.hh, s.today, s.year
    record_parts = []
    s.bad_loan = s.overdue & (s.overdue_days >= 90)
    bank_of_loan = np.empty(n, dtype=object)
    bank_of_loan[s.borrows] = s.loans["creditor"].to_numpy()
    record_parts.append(
        _children(
            hh[s.bad_loan],
            entity_id=None,
            polarity=NEGATIVE,
            category="贷款逾期",
            description=(np.char.mod("银行贷款逾期%d天未还", s.overdue_days).astype(object))[
                s.bad_loan
            ],
            occurred_on=_dates((s.start + s.term_days)[s.bad_loan]),
            ended_on=None,
            source=bank_of_loan[s.bad_loan],
        )
    )
    past_arrears = rng.random(n) < 0.02  # repaid late in the last five years, since settled
    occurred = today - rng.integers(400, 1800, n)
    record_parts.append(
        _children(
            hh[past_arrears],
            entity_id=None,
            polarity=NEGATIVE,
            category="贷款逾期",
            description=np.char.mod("贷款逾期%d天，已结清", rng.integers(15, 120, n)).astype(
                object
            )[past_arrears],
            occurred_on=_dates(occurred[past_arrears]),
            ended_on=_dates((occurred + rng.integers(15, 120, n))[past_arrears]),
            source=rng.choice(np.array(v.BANKS, dtype=object), size=n, p=v.BANK_WEIGHTS)[
                past_arrears
            ],
        )
    )
    breach = rng.random(n) < 0.012
    record_parts.append(
        _children(
            hh[breach],
            entity_id=None,
            polarity=NEGATIVE,
            category="违反村规民约",
            description=rng.choice(np.array(v.VILLAGE_RULE_BREACHES, dtype=object), size=n)[breach],
            occurred_on=_dates((today - rng.integers(30, 1000, n))[breach]),
            ended_on=None,
            source="村委会",
        )
    )
    penalty = rng.random(n) < 0.005
    penalty_kind = rng.integers(0, len(v.PENALTIES), n)
    record_parts.append(
        _children(
            hh[penalty],
            entity_id=None,
            polarity=NEGATIVE,
            category="行政处罚",
            description=np.array([p for p, _ in v.PENALTIES], dtype=object)[penalty_kind][penalty],
            occurred_on=_dates((today - rng.integers(60, 1500, n))[penalty]),
            ended_on=None,
            source=np.array([s for _, s in v.PENALTIES], dtype=object)[penalty_kind][penalty],
        )
    )
    dishonest = s.bad_loan & (s.overdue_days > 365) & (rng.random(n) < 0.4)
    record_parts.append(
        _children(
            hh[dishonest],
            entity_id=None,
            polarity=NEGATIVE,
            category="失信被执行人",
            description="被列为失信被执行人（借款合同纠纷）",
            occurred_on=_dates((today - rng.integers(10, 200, n))[dishonest]),
            ended_on=None,
            source="富平县人民法院",
        )
    )
    s.honour = rng.random(n) < 0.06
    honour_kind = rng.integers(0, len(v.HONOURS), n)
    honour_year = year - rng.integers(1, 5, n)
    record_parts.append(
        _children(
            hh[s.honour],
            entity_id=None,
            polarity=POSITIVE,
            category="荣誉表彰",
            description=(
                np.char.mod("%d年度", honour_year).astype(object)
                + np.array([h for h, _ in v.HONOURS], dtype=object)[honour_kind]
            )[s.honour],
            occurred_on=_dates(_days_of_year_end(honour_year)[s.honour]),
            ended_on=None,
            source=np.array([s for _, s in v.HONOURS], dtype=object)[honour_kind][s.honour],
        )
    )
    s.records = pd.concat(record_parts, ignore_index=True)
    s.negative = np.bincount(
        s.records.loc[s.records["polarity"] == NEGATIVE, "household_id"] - 1, minlength=n
    )


def _draw_evaluations(s: _HouseholdDraw) -> None:
    """The village's yearly 村评议 of each household, this year and last."""
    rng, n, hh, year, missing = s.rng, s.n, s.hh, s.year, s.missing
    character = rng.normal(0, 1, n) - 1.2 * s.negative - 1.5 * s.bad_loan + 0.8 * s.honour
    income_rank = pd.Series(s.gross).rank(pct=True).to_numpy()
    evaluation_parts = []
    s.recent = ~missing(0.03, 0.5)
    earlier = rng.random(n) < 0.55
    for eval_year, mask in ((year - 1, s.recent), (year - 2, earlier)):

        def noise() -> np.ndarray:  # each item gets its own draw
            return rng.normal(0, 1.3, n)

        scores = {
            "law_abiding": 22.5 + 2.0 * character + noise(),
            "neighbourliness": 21.5 + 2.0 * character + noise(),
            "elder_care": 21.5 + 1.6 * character + noise(),
            "diligence": 17.5 + 1.2 * character + 6.0 * income_rank + noise(),
        }
        scores = {k: np.clip(np.round(s), 0, 25).astype(np.int64) for k, s in scores.items()}
        total = sum(scores.values())
        overall = np.select([total >= 92, total >= 80, total >= 60], ["优秀", "较好", "一般"], "差")
        remarks = np.select(
            [s.bad_loan, overall == "优秀"], ["有逾期未还贷款", "勤劳肯干，邻里和睦"], ""
        )
        evaluation_parts.append(
            _children(
                hh[mask],
                year=eval_year,
                **{k: s[mask] for k, s in scores.items()},
                overall=overall[mask],
                remarks=remarks[mask],
            )
        )
    s.evaluations = pd.concat(evaluation_parts, ignore_index=True).sort_values(
        ["household_id", "year"], ascending=[True, False], kind="stable", ignore_index=True
    )
    s.last_overall = np.full(n, "", dtype=object)
    s.last_overall[s.recent] = evaluation_parts[0]["overall"].to_numpy()


def _draw_insurance(s: _HouseholdDraw) -> None:
    """Crop, herd, house and accident insurance."""
    rng, n, hh, year = s.rng, s.n, s.hh, s.year
    insurance_parts = []
    insurer = rng.choice(np.array(v.INSURERS, dtype=object), size=n, p=(0.6, 0.25, 0.15))
    policy_year = np.where(rng.random(n) < 0.7, year, year - 1)
    insured_per_mu = pd.Series(s.main).map({c: sums[1] for c, sums in v.CROPS.items()}).to_numpy()
    crop_cover = (s.cash | s.wheat) & (rng.random(n) < 0.45)
    crop_sum = np.where(s.cash, s.cash_area * insured_per_mu, 0) + s.grain_area * 450
    herd_cover = s.herds & (rng.random(n) < 0.5)
    house_cover = s.has_house & (rng.random(n) < 0.15)
    accident = rng.random(n) < 0.12
    for mask, kind, amount, company in (
        (crop_cover, "种植险", _money(crop_sum), insurer),
        (herd_cover, "养殖险", _money(s.herd_size * s.herd_value[s.herd_kind] * 0.6), insurer),
        (house_cover, "农房险", _money(rng.uniform(30000, 80000, n), 10000), insurer),
        (
            accident,
            "意外险",
            _money(rng.uniform(50000, 200000, n), 50000),
            np.full(n, v.LIFE_INSURER, dtype=object),
        ),
    ):
        mask = mask & (amount > 0)
        insurance_parts.append(
            _children(
                hh[mask],
                kind=kind,
                insurer=company[mask],
                insured_amount=amount[mask],
                year=policy_year[mask],
            )
        )
    s.insurance = pd.concat(insurance_parts, ignore_index=True).sort_values(
        "household_id", kind="stable", ignore_index=True
    )


def _household_rows(s: _HouseholdDraw) -> dict[str, pd.DataFrame]:
    """The household rows, then every frame of the households' files."""
    rng, n, hh, today, year, vil, missing = s.rng, s.n, s.hh, s.today, s.year, s.vil, s.missing
    village_codes = s.villages["code"].to_numpy()
    village_names = s.villages["name"].to_numpy()
    group_index = (rng.random(n) * s.villages["groups"].to_numpy()[vil]).astype(np.int64)
    house_no = (
        pd.DataFrame({"v": vil, "g": group_index}).groupby(["v", "g"]).cumcount().to_numpy() + 1
    )
    numerals = np.array(v.CHINESE_NUMERALS, dtype=object)
    address = (
        village_names[vil]
        + numerals[group_index]
        + "组"
        + np.char.mod("%d", house_no).astype(object)
        + "号"
    )
    phone = _phones(rng, n)
    cadre = s.users[s.users["role"] == Role.CADRE.value].set_index("scope_code")["id"]
    created = today - rng.integers(30, 540, n)
    created_at = _timestamps(rng, created)
    updated_at = _timestamps(rng, created + (rng.random(n) * (today - created)).astype(np.int64))

    # Rated last year: the grade follows last year's evaluation, never for a bad debtor.
    rated = s.recent & ~s.bad_loan & (rng.random(n) < 0.3) & (s.last_overall != "差")
    grade = np.select(
        [s.last_overall == "优秀", s.last_overall == "较好"],
        [np.where(rng.random(n) < 0.7, "AAA", "AA"), np.where(rng.random(n) < 0.6, "AA", "A")],
        "A",
    )
    households = pd.DataFrame(
        {
            "id": hh + 1,
            "village_code": village_codes[vil],
            "county_code": COUNTY_CODE,
            "group_name": np.array(hf.GROUPS, dtype=object)[group_index],
            "head_name": s.people.head_name,
            "head_id_number": s.people.head_id,
            "head_gender": np.where(s.people.head_male, "男", "女"),
            "head_birth_date": _dates(s.people.head_born),
            "head_education": np.where(missing(0.02, 0.3), "", s.head_education),
            "head_health": s.head_health,
            "phone": np.where(missing(0.02, 0.6), "", phone),
            "address": np.where(missing(0.01, 0.4), "", address),
            "registration_type": np.where(
                missing(0.02, 0.5), "", _pick(rng, n, hf.REGISTRATION_TYPES, (0.7, 0.02, 0.28))
            ),
            "housing": np.where(missing(0.02, 0.4), "", s.housing),
            "house_area_m2": np.where(rng.random(n) < 0.85, s.house_area, np.nan),
            "land_contracted_mu": np.where(missing(0.02, 0.4), np.nan, s.contracted),
            "land_transferred_mu": s.transferred,
            **s.incomes,
            "annual_spending": s.spending,
            "household_size": s.household_size,
            "labour_count": s.head_labour.astype(np.int64) + s.labour_members.astype(np.int64),
            "credit_grade": np.where(rated, grade, None),
            "credit_grade_year": pd.array(np.where(rated, year - 1, 0), dtype="Int64"),
            "notes": "",
            "created_at": created_at,
            "updated_at": updated_at,
            "updated_by_id": cadre.loc[village_codes[vil]].to_numpy(),
        }
    )
    households.loc[~rated, "credit_grade_year"] = pd.NA
    _derive(households, s.members_out, s.assets, s.liabilities, s.production, s.evaluations, year)
    return {
        "households": households,
        "members": s.members_out,
        "assets": s.assets,
        "liabilities": s.liabilities,
        "production": s.production,
        "insurance": s.insurance,
        "evaluations": s.evaluations,
        "records": s.records,
    }


def derived_inputs(
    households: pd.DataFrame,
    member_count: np.ndarray,
    asset_count: np.ndarray,
    production_count: np.ndarray,
    recent_evaluation: np.ndarray,
) -> pd.DataFrame:
    """The frame `assess_households` reads, as `derive_totals` builds it for one household."""
    incomes = households[
        ["income_crops", "income_livestock", "income_business", "income_wages", "income_other"]
    ]
    return pd.DataFrame(
        {
            "phone": households["phone"],
            "address": households["address"],
            "registration_type": households["registration_type"],
            "housing": households["housing"],
            "land_contracted_mu": households["land_contracted_mu"],
            "income_total": incomes.notna().any(axis=1),
            "annual_spending": households["annual_spending"],
            "member_count": member_count,
            "asset_count": asset_count,
            "production_count": production_count,
            "recent_evaluation": recent_evaluation,
        },
        index=households.index,
    )


def _derive(
    households: pd.DataFrame,
    members: pd.DataFrame,
    assets: pd.DataFrame,
    liabilities: pd.DataFrame,
    production: pd.DataFrame,
    evaluations: pd.DataFrame,
    year: int,
) -> None:
    """The denormalised totals and completeness, from the child rows as saved."""
    n = len(households)

    def count(frame: pd.DataFrame) -> np.ndarray:
        return np.bincount(frame["household_id"] - 1, minlength=n)

    def total(frame: pd.DataFrame, column: str) -> np.ndarray:
        return np.round(
            np.bincount(frame["household_id"] - 1, weights=frame[column], minlength=n), 2
        )

    households["total_assets"] = total(assets, "value")
    households["total_liabilities"] = total(liabilities, "balance")
    households["coop_shares"] = total(assets[assets["kind"] == "合作社股金"], "value")
    recent = count(evaluations[evaluations["year"] >= year - 1]) > 0
    inputs = derived_inputs(households, count(members), count(assets), count(production), recent)
    assessed = assess_households(inputs)
    households["completeness"] = assessed["completeness"]
    households["missing_fields"] = assessed["missing_fields"]


def _dates(days: np.ndarray) -> np.ndarray:
    """Days since 1970 as `datetime.date` objects, which every driver binds as DATE."""
    return np.asarray(days).astype("datetime64[D]").astype(object)


def _days_of_year_end(years: np.ndarray) -> np.ndarray:
    return (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(
        np.int64
    ) + 364


def _timestamps(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Office hours (08:00-18:00 in Beijing, stored as naive UTC) on the given days."""
    seconds = days.astype(np.int64) * 86400 + rng.integers(0, 10 * 3600, len(days))
    return seconds.astype("datetime64[s]").astype(object)


# ---- 新型农业经营主体 ----------------------------------------------------------------------

_ENTITY_MIX = (
    (EntityType.FAMILY_FARM.value, 0.45),
    (EntityType.COOPERATIVE.value, 0.35),
    (EntityType.LARGE_GROWER.value, 0.15),
    (EntityType.LEADING_ENTERPRISE.value, 0.05),
)


def _entities(
    rng: np.random.Generator, villages: pd.DataFrame, people: _People, n: int, as_of: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entities run by household heads of working age; a few hundred rows, so built row by row."""
    heads = len(people.village)
    age = (_days(as_of) - people.head_born) / DAYS_PER_YEAR
    weight = np.where((age >= 28) & (age <= 65), 1.0, 0.05)
    operators = rng.choice(heads, size=n, replace=False, p=weight / weight.sum())
    kinds = rng.choice(
        np.array([k for k, _ in _ENTITY_MIX], dtype=object), size=n, p=[p for _, p in _ENTITY_MIX]
    )
    phones = _phones(rng, n)
    usccs: set[str] = set()
    names: set[str] = set()
    rows, records = [], []
    for i, (operator, kind) in enumerate(zip(operators, kinds, strict=True)):
        village = villages.iloc[people.village[operator]]
        town = village["township"]
        product = str(rng.choice(v.ENTITY_PRODUCTS))
        brand = str(rng.choice(v.ENTITY_BRANDS))
        livestock = product in ("奶山羊", "生猪", "肉牛")
        verb = "养殖" if livestock else "种植"
        operator_name = people.head_name[operator]
        founded = date(
            int(rng.integers(2009 if kind == "cooperative" else 2013, as_of.year)),
            int(rng.integers(1, 13)),
            int(rng.integers(1, 29)),
        )
        row = {
            "id": i + 1,
            "entity_type": kind,
            "village_code": village["code"],
            "county_code": COUNTY_CODE,
            "operator_name": operator_name,
            "operator_id_number": people.head_id[operator],
            "phone": phones[i],
            "address": f"{v.COUNTY[1]}{town}{village['name']}",
            "founded_on": founded,
            "member_count": None,
            "farmer_capital_share": None,
            "main_products": product,
            "keeps_books": bool(rng.random() < 0.6),
        }
        if kind == EntityType.FAMILY_FARM.value:
            label = operator_name if rng.random() < 0.5 else brand
            name, prefix = f"{v.COUNTY[1]}{town}{label}家庭农场", "92"
            scale, employees, revenue = rng.lognormal(np.log(120), 0.6), rng.integers(2, 8), 4000
        elif kind == EntityType.COOPERATIVE.value:
            name, prefix = f"{v.COUNTY[1]}{town}{brand}{product}{verb}专业合作社", "93"
            scale, employees, revenue = rng.lognormal(np.log(400), 0.8), rng.integers(2, 25), 3500
            row["member_count"] = int(max(5, rng.lognormal(np.log(60), 0.8)))
            row["farmer_capital_share"] = round(float(rng.uniform(60, 100)), 1)
        elif kind == EntityType.LARGE_GROWER.value:
            name, prefix = f"{operator_name}{product}{verb}大户", "92"
            scale, employees, revenue = rng.lognormal(np.log(60), 0.5), rng.integers(0, 4), 4500
        else:
            industry = str(rng.choice(v.ENTERPRISE_INDUSTRIES))
            name, prefix = f"陕西{brand}{industry}有限公司", "91"
            scale, employees, revenue = (
                rng.lognormal(np.log(2000), 0.6),
                rng.integers(30, 400),
                9000,
            )
        if name in names:  # the same brand twice in one township: real registries add the village
            name = name.replace(town, f"{town}{village['name']}", 1)
        if name in names:
            name = (
                f"{name[:-2]}{i + 1}{name[-2:]}"
                if kind != "leading_enterprise"
                else name + f"（{i + 1}）"
            )
        names.add(name)
        # A 种养大户 is often unregistered and known only by the operator's ID number.
        unregistered = kind == EntityType.LARGE_GROWER.value and rng.random() < 0.6
        row["name"] = name
        row["uscc"] = None if unregistered else _uscc(rng, prefix, usccs)
        if livestock:
            row["land_mu"] = round(float(scale) / 10, 1)
            row["herd_size"] = int(scale * (2 if product != "肉牛" else 0.3))
        else:
            row["land_mu"] = round(float(scale), 1)
            row["herd_size"] = None
        row["employees"] = int(employees)
        row["annual_revenue"] = float(_money(scale * revenue * rng.lognormal(0, 0.4), 1000))
        row["total_assets"] = float(_money(row["annual_revenue"] * rng.uniform(0.8, 2.5), 1000))
        row["total_debts"] = float(_money(row["total_assets"] * rng.uniform(0, 0.6), 1000))
        row["insurance"] = ("养殖险" if livestock else "种植险") if rng.random() < 0.6 else ""
        certs = [
            c
            for c, p in (("绿色食品", 0.15), ("有机产品", 0.05), ("地理标志", 0.1))
            if rng.random() < p
        ]
        row["certifications"] = ",".join(certs)
        level_p = (
            (0.02, 0.05, 0.12, 0.2, 0.61)
            if kind != "leading_enterprise"
            else (0.1, 0.3, 0.4, 0.2, 0.0)
        )
        row["demonstration_level"] = str(
            rng.choice(("国家级", "省级", "市级", "县级", "无"), p=level_p)
        )
        channels = rng.choice(v.SALES_CHANNELS, size=int(rng.integers(1, 4)), replace=False)
        row["sales_channels"] = "、".join(sorted(channels, key=v.SALES_CHANNELS.index))
        # Files being built: some fields still blank, as on a real platform.
        for field, p in (("phone", 0.05), ("insurance", 0.1), ("sales_channels", 0.08)):
            if rng.random() < p:
                row[field] = ""
        if rng.random() < 0.06:
            row["annual_revenue"] = None
        row["notes"] = ""
        rows.append(row)
        if (
            row["demonstration_level"] in ("国家级", "省级", "市级")
            and founded.year < as_of.year - 1
        ):
            honoured = int(rng.integers(max(founded.year + 1, as_of.year - 5), as_of.year))
            records.append(
                {
                    "household_id": None,
                    "entity_id": i + 1,
                    "polarity": POSITIVE,
                    "category": "荣誉表彰",
                    "description": f"{row['demonstration_level']}示范{'社' if kind == 'cooperative' else '主体'}",
                    "occurred_on": date(honoured, 1, 18),
                    "ended_on": None,
                    "source": "农业农村部门",
                }
            )
        if rng.random() < 0.03:
            records.append(
                {
                    "household_id": None,
                    "entity_id": i + 1,
                    "polarity": NEGATIVE,
                    "category": "行政处罚",
                    "description": "产品抽检不合格被罚款",
                    "occurred_on": date(
                        as_of.year - int(rng.integers(1, 4)), int(rng.integers(1, 13)), 15
                    ),
                    "ended_on": None,
                    "source": "县市场监督管理局",
                }
            )
    entities = pd.DataFrame(rows)
    entities["operator_id_masked"] = [mask_id(x) for x in entities["operator_id_number"]]
    entities["herd_size"] = entities["herd_size"].astype("Int64")
    entities["member_count"] = entities["member_count"].astype("Int64")
    assessed = assess_entities(entities)
    entities["completeness"] = assessed["completeness"]
    entities["missing_fields"] = assessed["missing_fields"]
    record_frame = pd.DataFrame(
        records,
        columns=[
            "household_id",
            "entity_id",
            "polarity",
            "category",
            "description",
            "occurred_on",
            "ended_on",
            "source",
        ],
    )
    return entities, record_frame


def _uscc(rng: np.random.Generator, prefix: str, taken: set[str]) -> str:
    """GB 32100: 登记管理部门 + 机构类别, area, a 9-character organisation code, check char."""
    while True:
        body8 = "MA" + "".join(rng.choice(list(USCC_CHARSET[:-1]), size=6))
        org = body8 + _org_check_char(body8)
        first17 = f"{prefix}{COUNTY_CODE}{org}"
        code = first17 + uscc_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def _org_check_char(body8: str) -> str:
    """GB 11714 check character of the organisation code (digits 0-9, letters A=10 ... Z=35)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)
