"""Training settings for tests that train a model directly (not through the app's config)."""

from typing import Any

from agri_credit.config import TestConfig
from loans.scoring.training import DEFAULT_PARAMS, TrainSettings


def quick_settings(**changes: Any) -> TrainSettings:
    """The defaults with TestConfig's faster learning rate, as the app's tests train: for
    tests about what is done with a model (reasons, fast paths, calibration choice), not about
    how well the default settings rank."""
    return TrainSettings(params={**DEFAULT_PARAMS, **TestConfig.SCORING_LGBM_PARAMS}, **changes)
