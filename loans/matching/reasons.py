"""One need against every listed product, explained: the eligible products in rank order and,
for each product that does not fit, every failed rule in plain Chinese with both values
(「申请期限48个月，超出该产品上限36个月」).

Runs the engine's own rule evaluation on a one-row frame, so the explanation can never differ
from what matching stored. `translate` is the page's `gettext`; the default keeps Chinese.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine import (
    DEFAULT_WEIGHTS,
    ProductArrays,
    RankingWeights,
    block_failures,
    encode_needs,
    encode_products,
    pair_rank_keys,
)
from .rules import (
    COLLATERAL_REQUIRED,
    GRADE_LETTERS,
    GUARANTEE_REQUIRED,
    LIST_SEPARATOR,
    MISSING_VALUE_TEMPLATES,
    REASON_TEMPLATES,
    SUBJECT_TYPE_LABELS,
    TAX_GRADES,
    YEARS_VALUE,
    Rule,
)

Translate = Callable[[str], str]


def _same(text: str) -> str:
    return text


RULES = tuple(Rule)  # iterating the enum itself costs more than the check, 800 times a page


def _memoised(translate: Translate) -> Translate:
    """`translate` asked once per text: a page explains up to 800 products with a dozen
    labels, and each gettext call looks up the request's catalogue."""
    done: dict[str, str] = {}

    def once(text: str) -> str:
        if text not in done:
            done[text] = translate(text)
        return done[text]

    return once


def format_wan(yuan: float) -> str:
    """Yuan as 万元 with at most two decimals and no trailing zeros: 500000 -> "50"."""
    return f"{yuan / 10_000:.2f}".rstrip("0").rstrip(".")


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class ProductExplanation:
    product_id: int
    eligible: bool
    rank: int  # 1 = best among the eligible; 0 when not eligible
    rank_key: float | None  # only eligible products are ranked
    approval_chance: float | None  # None without a score, and for products that do not fit
    failures: int  # the Rule bitmask
    reasons: list[str]  # one sentence per failed rule


def _value_texts(need: Mapping, region_names: Mapping[str, str], t: Translate) -> dict:
    grade = need.get("credit_grade")
    points = need.get("score_points")
    tax = need.get("tax_grade")
    years = need.get("years_operating")
    code = str(need.get("region_code"))
    return {
        Rule.SUBJECT_TYPE: t(SUBJECT_TYPE_LABELS.get(str(need.get("subject_type")), "")),
        Rule.REGION: region_names.get(code, code),
        Rule.AMOUNT_BELOW_MIN: format_wan(float(need["amount"])),
        Rule.AMOUNT_ABOVE_MAX: format_wan(float(need["amount"])),
        Rule.TERM_BELOW_MIN: str(int(need["term_months"])),
        Rule.TERM_ABOVE_MAX: str(int(need["term_months"])),
        # None: the applicant has no value, explained by MISSING_VALUE_TEMPLATES.
        Rule.GRADE: grade if isinstance(grade, str) and grade else None,
        Rule.SCORE: str(int(points)) if pd.notna(points) else "",  # fails only with a score
        Rule.TAX_GRADE: t(GRADE_LETTERS) % {"grade": tax} if isinstance(tax, str) and tax else None,
        Rule.YEARS_OPERATING: t(YEARS_VALUE) % {"years": _number(float(years))}
        if pd.notna(years)
        else None,
        Rule.COLLATERAL: "",
        Rule.GUARANTEE: "",
    }


def _limit_texts(products: pd.DataFrame, region_names: Mapping[str, str], t: Translate):
    """Per rule, a function of the product's row position giving the product's side."""
    types = products["subject_types"].tolist()
    regions = products["region_codes"].tolist()
    amount_min, amount_max = products["amount_min"].tolist(), products["amount_max"].tolist()
    term_min, term_max = products["term_min"].tolist(), products["term_max"].tolist()
    grades, scores = products["min_grade"].tolist(), products["min_score"].tolist()
    taxes, years = products["tax_grades"].tolist(), products["min_years"].tolist()
    sep = t(LIST_SEPARATOR)
    return {
        Rule.SUBJECT_TYPE: lambda i: sep.join(t(SUBJECT_TYPE_LABELS[x]) for x in types[i]),
        Rule.REGION: lambda i: sep.join(region_names.get(c, c) for c in regions[i]),
        Rule.AMOUNT_BELOW_MIN: lambda i: format_wan(float(amount_min[i])),
        Rule.AMOUNT_ABOVE_MAX: lambda i: format_wan(float(amount_max[i])),
        Rule.TERM_BELOW_MIN: lambda i: str(int(term_min[i])),
        Rule.TERM_ABOVE_MAX: lambda i: str(int(term_max[i])),
        Rule.GRADE: lambda i: str(grades[i]),
        Rule.SCORE: lambda i: str(int(scores[i])),
        Rule.TAX_GRADE: lambda i: (
            t(GRADE_LETTERS) % {"grade": sep.join(g for g in TAX_GRADES if g in set(taxes[i]))}
        ),
        Rule.YEARS_OPERATING: lambda i: _number(float(years[i])),
        Rule.COLLATERAL: lambda i: t(COLLATERAL_REQUIRED),
        Rule.GUARANTEE: lambda i: t(GUARANTEE_REQUIRED),
    }


def explain_need(
    need: Mapping,
    products: pd.DataFrame,
    encoded: ProductArrays | None = None,
    region_names: Mapping[str, str] | None = None,
    translate: Translate = _same,
    weights: RankingWeights = DEFAULT_WEIGHTS,
) -> list[ProductExplanation]:
    """Every listed product for one need (a mapping with the needs-frame columns): the
    eligible ones first in rank order, then the others with their reasons, fewest failed
    rules first. Pass `encoded` (encode_products of the same frame) to reuse it."""
    p = encoded if encoded is not None else encode_products(products)
    names = region_names or {}
    translate = _memoised(translate)  # the same few labels, asked for once per product
    n = encode_needs(pd.DataFrame([dict(need)]), p)
    failures = block_failures(n, p, slice(0, 1))[0]
    eligible = np.flatnonzero(failures == 0)
    keys, chances = pair_rank_keys(n, p, np.zeros(eligible.size, dtype=np.intp), eligible, weights)
    order = np.argsort(-keys, kind="stable")
    failing = np.flatnonzero(failures)
    counts = np.bitwise_count(failures[failing])
    failing = failing[np.lexsort((p.product_ids[failing], counts))]

    values = _value_texts(need, names, translate)
    limits = _limit_texts(products, names, translate)
    templates = {
        rule: translate(
            MISSING_VALUE_TEMPLATES[rule] if values[rule] is None else REASON_TEMPLATES[rule]
        )
        for rule in Rule
    }
    has_score = not np.isnan(n.points[0])
    out = [
        ProductExplanation(
            int(p.product_ids[eligible[j]]),
            True,
            rank,
            float(keys[j]),
            float(chances[j]) if has_score else None,
            0,
            [],
        )
        for rank, j in enumerate(order, start=1)
    ]
    for i in failing:
        mask = int(failures[i])
        reasons = [
            templates[rule] % {"value": values[rule], "limit": limits[rule](i)}
            for rule in RULES
            if mask >> rule & 1
        ]
        out.append(
            ProductExplanation(
                int(p.product_ids[i]),
                False,
                0,
                None,
                None,
                mask,
                reasons,
            )
        )
    return out
