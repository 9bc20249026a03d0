"""Scorecard points from a default probability: points = offset − factor·ln(odds), where
odds = p / (1 − p) are the odds of default. By default 600 points at good:bad odds of 50:1
and 20 points to double them, clipped to 300–900 (config SCORING_*)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PointsScale:
    base_points: float = 600.0
    base_good_odds: float = 50.0
    points_to_double: float = 20.0
    min_points: float = 300.0
    max_points: float = 900.0

    @property
    def factor(self) -> float:
        return self.points_to_double / np.log(2.0)

    @property
    def offset(self) -> float:
        # At good:bad odds of 50:1 the default odds are 1/50: base = offset − factor·ln(1/50).
        return self.base_points - self.factor * np.log(self.base_good_odds)

    @classmethod
    def from_config(cls, config) -> "PointsScale":
        return cls(
            base_points=config.get("SCORING_BASE_POINTS", 600.0),
            base_good_odds=config.get("SCORING_BASE_ODDS", 50.0),
            points_to_double=config.get("SCORING_POINTS_TO_DOUBLE", 20.0),
            min_points=config.get("SCORING_MIN_POINTS", 300.0),
            max_points=config.get("SCORING_MAX_POINTS", 900.0),
        )


def points(probability: np.ndarray, scale: PointsScale = PointsScale()) -> np.ndarray:
    p = np.clip(np.asarray(probability, dtype=np.float64), 1e-9, 1 - 1e-9)
    raw = scale.offset - scale.factor * np.log(p / (1 - p))
    return np.clip(np.round(raw), scale.min_points, scale.max_points)


def log_odds_to_points(
    delta_log_odds: np.ndarray, scale: PointsScale = PointsScale()
) -> np.ndarray:
    """Points a change of the default log-odds is worth (a rise in risk costs points)."""
    return -scale.factor * np.asarray(delta_log_odds)
