"""The matching engine's hard rules, bitmask, ranking and reasons, on hand-worked cases."""

import numpy as np
import pandas as pd
import pytest

from loans.matching.engine import encode_products, match
from loans.matching.reasons import explain_need, format_wan
from loans.matching.rules import Rule, failed_rules

VILLAGE = "610528100001"  # a village of 富平县 (610528)


def need(**changes) -> dict:
    base = {
        "need_id": 1,
        "subject_type": "household",
        "subject_id": 7,
        "region_code": VILLAGE,
        "amount": 100_000.0,
        "term_months": 12,
        "has_collateral": False,
        "has_guarantee": False,
        "credit_grade": "AA",
        "score_points": 650.0,
        "tax_grade": None,
        "years_operating": np.nan,
    }
    return base | changes


def product(**changes) -> dict:
    base = {
        "product_id": 1,
        "amount_min": 10_000.0,
        "amount_max": 300_000.0,
        "term_min": 1,
        "term_max": 36,
        "rate_min": 4.35,
        "rate_max": 6.0,
        "subject_types": ["household"],
        "region_codes": ["610528000000"],
        "min_grade": None,
        "min_score": np.nan,
        "tax_grades": [],
        "min_years": np.nan,
        "requires_collateral": False,
        "requires_guarantee": False,
    }
    return base | changes


def failures_of(need_row: dict, product_row: dict) -> list[Rule]:
    result = match(pd.DataFrame([need_row]), pd.DataFrame([product_row]))
    return failed_rules(int(result.failures[0, 0]))


def reasons_of(need_row: dict, product_row: dict) -> list[str]:
    (explained,) = explain_need(need_row, pd.DataFrame([product_row]))
    return explained.reasons


def test_a_need_inside_every_limit_is_eligible_bounds_included():
    assert failures_of(need(), product()) == []
    assert failures_of(need(amount=300_000.0, term_months=36), product()) == []
    assert failures_of(need(amount=10_000.0, term_months=1), product()) == []


@pytest.mark.parametrize(
    ("need_changes", "product_changes", "rule"),
    [
        ({"subject_type": "enterprise"}, {}, Rule.SUBJECT_TYPE),
        ({"region_code": "610526100001"}, {}, Rule.REGION),
        ({"amount": 5_000.0}, {}, Rule.AMOUNT_BELOW_MIN),
        ({"amount": 300_000.01}, {}, Rule.AMOUNT_ABOVE_MAX),
        ({"term_months": 3}, {"term_min": 6}, Rule.TERM_BELOW_MIN),
        ({"term_months": 48}, {}, Rule.TERM_ABOVE_MAX),
        ({"credit_grade": "A"}, {"min_grade": "AA"}, Rule.GRADE),
        ({"credit_grade": None}, {"min_grade": "A"}, Rule.GRADE),
        ({"score_points": 599.0}, {"min_score": 600.0}, Rule.SCORE),
        ({"tax_grade": "M"}, {"tax_grades": ["A", "B"]}, Rule.TAX_GRADE),
        ({"tax_grade": None}, {"tax_grades": ["A"]}, Rule.TAX_GRADE),
        ({"years_operating": 1.5}, {"min_years": 2}, Rule.YEARS_OPERATING),
        ({"years_operating": np.nan}, {"min_years": 2}, Rule.YEARS_OPERATING),
        ({}, {"requires_collateral": True}, Rule.COLLATERAL),
        ({}, {"requires_guarantee": True}, Rule.GUARANTEE),
    ],
)
def test_each_hard_rule_fails_alone_with_its_own_bit(need_changes, product_changes, rule):
    assert failures_of(need(**need_changes), product(**product_changes)) == [rule]


def test_rules_a_need_meets_do_not_fail():
    assert (
        failures_of(
            need(
                subject_type="entity",
                credit_grade="AAA",
                tax_grade="B",
                years_operating=3.0,
                has_collateral=True,
                has_guarantee=True,
            ),
            product(
                subject_types=["entity", "enterprise"],
                min_grade="AA",
                min_score=600.0,
                tax_grades=["A", "B"],
                min_years=2,
                requires_collateral=True,
                requires_guarantee=True,
            ),
        )
        == []
    )


def test_regions_cover_their_whole_subtree_and_no_list_covers_everywhere():
    assert failures_of(need(), product(region_codes=["610528100000"])) == []  # its township
    assert failures_of(need(), product(region_codes=[VILLAGE])) == []
    assert failures_of(need(), product(region_codes=["610528101000"])) == [Rule.REGION]
    assert failures_of(need(region_code="440100000001"), product(region_codes=[])) == []


def test_every_failed_rule_is_explained_with_both_values():
    reasons = reasons_of(
        need(amount=500_000.0, term_months=48, credit_grade="A", score_points=580.0),
        product(min_grade="AA", min_score=600.0, requires_collateral=True),
    )
    assert reasons == [
        "申请金额50万元，超出该产品上限30万元",
        "申请期限48个月，超出该产品上限36个月",
        "信用等级为A，该产品要求AA及以上",
        "违约风险评分为580分，该产品要求不低于600分",
        "未提供抵押物，该产品要求提供抵押",
    ]


def test_missing_values_are_named_as_missing():
    reasons = reasons_of(
        need(subject_type="entity", credit_grade=None, score_points=np.nan),
        product(
            subject_types=["entity"],
            min_grade="A",
            min_score=600.0,
            tax_grades=["A", "B"],
            min_years=3,
        ),
    )
    assert reasons == [
        "尚无信用等级，该产品要求A及以上",
        "无纳税信用等级记录，该产品只接受A、B级",
        "经营年限不详，该产品要求至少3年",
    ]


def test_subject_type_and_region_reasons_name_both_sides():
    reasons = reasons_of(
        need(subject_type="enterprise", region_code="610526100001"),
        product(subject_types=["household", "entity"]),
    )
    assert reasons[0] == "申请主体为中小微企业，该产品只面向农户、新型农业经营主体"
    assert reasons[1] == "所在地区为610526100001，不在该产品的服务区域（610528000000）内"
    named = explain_need(
        need(region_code="610526100001"),
        pd.DataFrame([product()]),
        region_names={"610526100001": "某村", "610528000000": "富平县"},
    )
    assert named[0].reasons == ["所在地区为某村，不在该产品的服务区域（富平县）内"]


def test_eligible_products_rank_by_rate_then_fit_and_approval_chance():
    products = pd.DataFrame(
        [
            product(product_id=1, rate_min=6.0),
            product(product_id=2, rate_min=4.0),
            product(product_id=3, rate_min=5.0, amount_max=50_000.0),  # does not fit
        ]
    )
    result = match(pd.DataFrame([need()]), products)
    ranked = result.eligible.sort_values("rank")
    assert ranked["product_id"].tolist() == [2, 1]
    assert ranked["rank"].tolist() == [1, 2]
    assert failed_rules(int(result.failures[0, 2])) == [Rule.AMOUNT_ABOVE_MAX]

    explained = explain_need(need(), products)
    assert [(e.product_id, e.eligible, e.rank) for e in explained] == [
        (2, True, 1),
        (1, True, 2),
        (3, False, 0),
    ]


def test_a_higher_score_gives_a_higher_approval_chance_and_no_score_still_ranks():
    products = pd.DataFrame([product(product_id=1, min_score=600.0), product(product_id=2)])
    strong = explain_need(need(score_points=700.0), products)
    weak = explain_need(need(score_points=610.0), products)
    assert strong[0].approval_chance > weak[0].approval_chance > 0.5
    # Without a score no minimum score applies, and the ranking still works.
    unscored = explain_need(need(score_points=np.nan), products)
    assert [(e.eligible, e.approval_chance) for e in unscored] == [(True, None), (True, None)]
    assert [e.rank for e in unscored] == [1, 2]


def test_batch_and_one_need_explanation_agree():
    rng = np.random.default_rng(3)
    needs = pd.DataFrame(
        [
            need(
                need_id=i,
                amount=float(rng.choice([5e3, 5e4, 5e5])),
                term_months=int(rng.choice([6, 24, 48])),
                credit_grade=rng.choice(["A", "AAA", None]),
                score_points=float(rng.choice([550.0, 650.0, np.nan])),
            )
            for i in range(1, 31)
        ]
    )
    products = pd.DataFrame(
        [
            product(product_id=10, min_score=600.0),
            product(product_id=11, min_grade="AA", term_max=60),
            product(product_id=12, amount_min=100_000.0, amount_max=1e6, region_codes=[]),
        ]
    )
    result = match(needs, products)
    encoded = encode_products(products)
    for row, need_row in enumerate(needs.to_dict("records")):
        explained = {e.product_id: e for e in explain_need(need_row, products, encoded)}
        for col, product_id in enumerate(products["product_id"]):
            assert explained[product_id].failures == result.failures[row, col]
        ranks = result.eligible[result.eligible["need_id"] == need_row["need_id"]]
        assert dict(zip(ranks["product_id"], ranks["rank"], strict=True)) == {
            pid: e.rank for pid, e in explained.items() if e.eligible
        }
    pairs = result.pairs()
    assert len(pairs) == 90 and (pairs["rank"] > 0).sum() == len(result.eligible)


def test_amounts_show_in_wan():
    assert format_wan(500_000) == "50"
    assert format_wan(15_000) == "1.5"
    assert format_wan(12_345) == "1.23"
