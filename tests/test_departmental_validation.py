"""The cell rules of departmental files, checked column-wise without a database."""

import pandas as pd

from agri_credit.departmental.sources import SPECS, suggest_mapping
from agri_credit.departmental.validation import _dates, _period, clean_chunk
from models import Source
from tests.factories import make_id_number, make_uscc
from village_forms.identifiers import id_check_char, uscc_error


def test_periods_in_the_ways_departments_write_them():
    text = pd.Series(
        [
            "2025",
            "2025年",
            "2025年度",
            "2025-03",
            "202503",
            "2025年3月",
            "2025/3",
            "2025-03-01",
            "13月",
            "2025-13",
        ],
        dtype=str,
    )
    year, month = _period(text)
    assert year.tolist()[:8] == [2025] * 8
    assert month.tolist()[:8] == [0, 0, 0, 3, 3, 3, 3, 3]
    assert year[8:].isna().all()


def test_dates_in_the_ways_departments_write_them():
    text = pd.Series(
        [
            "2025-03-05",
            "2025/3/5",
            "20250305",
            "2025年3月5日",
            "2025.03.05",
            "2025-03-05 14:30:00",
            "2025-02-30",
            "昨天",
        ],
        dtype=str,
    )
    dates = _dates(text)
    assert (dates[:6] == pd.Timestamp("2025-03-05")).all()
    assert dates[6:].isna().all()


def test_a_mistyped_id_number_is_refused_even_when_it_checks_as_a_uscc():
    # Find an ID-shaped string with a wrong ID check digit that is nevertheless a valid USCC.
    for seq in range(1, 5000):
        good = make_id_number(seq=seq)
        body = good[:17]
        for last in "0123456789":
            candidate = body + last
            if last != id_check_char(body) and uscc_error(candidate) is None:
                break
        else:
            continue
        break
    spec = SPECS[Source.TAX]
    raw = pd.DataFrame(
        {"证件号码": [candidate], "所属期": ["2025"], "纳税额": ["1"]}, index=[2], dtype=str
    )
    cleaned = clean_chunk(
        spec, {"subject_code": "证件号码", "period": "所属期", "tax_paid": "纳税额"}, raw
    )
    assert cleaned.rows.empty
    assert "校验位" in cleaned.errors["message"].iloc[0]


def test_a_uscc_and_an_id_number_are_both_accepted_as_subjects():
    spec = SPECS[Source.TAX]
    raw = pd.DataFrame(
        {
            "证件号码": [make_uscc(), make_id_number().lower()],
            "所属期": ["2025", "2025"],
            "纳税额": ["1,200.50", "¥300"],
        },
        index=[2, 3],
        dtype=str,
    )
    cleaned = clean_chunk(
        spec, {"subject_code": "证件号码", "period": "所属期", "tax_paid": "纳税额"}, raw
    )
    assert cleaned.errors.empty
    assert cleaned.rows["subject_kind"].tolist() == ["uscc", "id"]
    assert cleaned.rows["tax_paid"].tolist() == [1200.5, 300.0]


def test_every_source_suggests_its_required_columns_from_its_own_labels():
    for spec in SPECS.values():
        headers = [f.label for f in spec.fields]
        mapping = suggest_mapping(spec, headers)
        assert {f.name for f in spec.fields if f.required} <= mapping.keys(), spec.source
