"""Test data builders. IDs are generated with real check digits so validators accept them."""

import itertools
from datetime import date
from typing import Any

from werkzeug.security import generate_password_hash

from agri_credit.entities.services import save_entity
from agri_credit.households.services import save_household
from models import AgriEntity, EntityType, Household, Region, RegionLevel, Role, User, db
from village_forms.identifiers import id_check_char, uscc_check_char

PROVINCE, CITY, COUNTY = "610000000000", "610500000000", "610528000000"
TOWNSHIP_A, TOWNSHIP_B = "610528100000", "610528101000"
VILLAGE_A, VILLAGE_B, VILLAGE_C = "610528100001", "610528100002", "610528101001"
PASSWORD = "correct horse 马"

_sequence = itertools.count(1)
# Hashing is deliberately slow; every test user shares one hash of the same password.
PASSWORD_HASH = generate_password_hash(PASSWORD)


def make_id_number(
    area: str = "610528", born: date = date(1975, 3, 14), seq: int | None = None, male: bool = True
) -> str:
    seq = next(_sequence) if seq is None else seq
    order = (seq % 499) * 2 + (1 if male else 2)
    body = f"{area}{born:%Y%m%d}{order:03d}"
    return body + id_check_char(body)


def make_uscc(area: str = "610528", serial: int | None = None) -> str:
    serial = next(_sequence) if serial is None else serial
    body = f"93{area}MA{serial:07d}"  # 93: 农民专业合作社
    return body + uscc_check_char(body)


def build_region_tree() -> None:
    rows = [
        (PROVINCE, "陕西省", RegionLevel.PROVINCE, None),
        (CITY, "渭南市", RegionLevel.CITY, PROVINCE),
        (COUNTY, "富平县", RegionLevel.COUNTY, CITY),
        (TOWNSHIP_A, "庄里镇", RegionLevel.TOWNSHIP, COUNTY),
        (TOWNSHIP_B, "张桥镇", RegionLevel.TOWNSHIP, COUNTY),
        (VILLAGE_A, "杨家村", RegionLevel.VILLAGE, TOWNSHIP_A),
        (VILLAGE_B, "西坡村", RegionLevel.VILLAGE, TOWNSHIP_A),
        (VILLAGE_C, "河湾村", RegionLevel.VILLAGE, TOWNSHIP_B),
    ]
    for code, name, level, parent in rows:
        db.session.add(Region(code=code, name=name, level=level, parent_code=parent))
    db.session.flush()


def make_user(username: str, role: Role, scope_code: str, **extra: Any) -> User:
    user = User(
        username=username,
        display_name=extra.pop("display_name", username),
        role=role,
        scope_code=scope_code,
        **extra,
    )
    user.password_hash = PASSWORD_HASH
    db.session.add(user)
    db.session.flush()
    return user


def household_data(village_code: str = VILLAGE_A, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "village_code": village_code,
        "group_name": "第1组",
        "head_name": "杨建国",
        "head_id_number": make_id_number(),
        "head_education": "初中",
        "head_health": "健康",
        "phone": "13912345678",
        "address": "杨家村一组12号",
        "registration_type": "农业户口",
        "housing": "砖混",
        "house_area_m2": None,
        "land_contracted_mu": 8,
        "land_transferred_mu": None,
        "income_crops": 30000,
        "income_livestock": None,
        "income_business": None,
        "income_wages": 20000,
        "income_other": None,
        "annual_spending": 25000,
        "notes": "",
        "members": [
            {
                "key": "",
                "name": "王秀兰",
                "id_number": make_id_number(male=False),
                "relation": "配偶",
                "health": "健康",
                "labour_ability": "全劳动力",
                "occupation": "务农",
            }
        ],
        "assets": [{"kind": "房产", "description": "自建房", "value": 150000}],
        "liabilities": [],
        "production": [{"kind": "种植", "name": "小麦", "quantity": 8, "unit": "亩"}],
        "insurance": [],
        "evaluations": [],
        "records": [],
    }
    data.update(overrides)
    return data


def make_household(cipher, user: User, **overrides: Any) -> Household:
    household = Household()
    save_household(household, household_data(**overrides), cipher, user)
    db.session.flush()
    return household


def entity_data(village_code: str = VILLAGE_A, **overrides: Any) -> dict[str, Any]:
    """A complete 农民专业合作社 file, in the shape the form hands to the service."""
    data: dict[str, Any] = {
        "entity_type": EntityType.COOPERATIVE.value,
        "name": "富平县杨家村柿子专业合作社",
        "uscc": make_uscc(),
        "village_code": village_code,
        "operator_name": "杨建国",
        "operator_id_number": make_id_number(),
        "phone": "13912345678",
        "address": "杨家村一组",
        "founded_on": date(2015, 6, 1),
        "member_count": 86,
        "farmer_capital_share": 92.5,
        "employees": 12,
        "land_mu": 1200,
        "herd_size": None,
        "main_products": "富平柿饼",
        "annual_revenue": 3_500_000,
        "total_assets": 5_000_000,
        "total_debts": 800_000,
        "insurance": "柿子种植险 保额60万元",
        "certifications": ["绿色食品", "地理标志"],
        "demonstration_level": "省级",
        "sales_channels": "电商、批发市场",
        "keeps_books": True,
        "notes": "",
        "records": [],
    }
    data.update(overrides)
    return data


def make_entity(cipher, user: User, **overrides: Any) -> AgriEntity:
    entity = AgriEntity()
    save_entity(entity, entity_data(**overrides), cipher, user)
    db.session.flush()
    return entity


def form_payload(data: dict[str, Any]) -> dict[str, Any]:
    """Flatten service-shaped data into the POST fields a browser sends: rows of a FieldList
    become name-i-key, a ticked checkbox "y" (an unticked one sends nothing), a multi-select
    its list of values."""
    payload: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            if value:
                payload[key] = "y"
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                for sub, sub_value in row.items():
                    payload[f"{key}-{i}-{sub}"] = "" if sub_value is None else sub_value
        elif isinstance(value, list):
            if value:
                payload[key] = value
        else:
            payload[key] = "" if value is None else value
    return payload
