"""Population stability (issue 14 point 8): PSI between the training data and today's
population, with the 0.10 / 0.25 warning levels."""

import numpy as np
import pandas as pd

from loans.scoring.stability import level, psi, reference, stability_report


def test_the_same_population_is_stable_and_a_shifted_one_is_flagged():
    rng = np.random.default_rng(1)
    train = pd.Series(rng.normal(0, 1, 20_000))
    ref = reference(train)
    assert psi(ref, pd.Series(rng.normal(0, 1, 20_000))) < 0.02
    assert level(psi(ref, pd.Series(rng.normal(0.45, 1, 20_000)))) == "关注"
    assert level(psi(ref, pd.Series(rng.normal(1.0, 1, 20_000)))) == "偏移"


def test_categories_and_missing_values_have_their_own_bins():
    train = pd.Series(["A"] * 50 + ["B"] * 50 + [None] * 0, dtype="category")
    ref = reference(train)
    assert psi(ref, pd.Series(["A"] * 50 + ["B"] * 50)) < 1e-6
    assert level(psi(ref, pd.Series(["A"] * 20 + ["C"] * 80))) == "偏移"
    numbers = reference(pd.Series([1.0, 2.0, 3.0, 4.0] * 100))
    now_missing = pd.Series([np.nan] * 400)
    report = stability_report({"x": numbers}, pd.DataFrame({"x": now_missing}))
    assert report["x"]["level"] == "偏移"
