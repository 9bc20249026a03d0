"""Probability calibration fitted on the held-out period: Platt (default) or isotonic.
Stored as plain numbers so the registry keeps it next to the model text."""

from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

EPS = 1e-4


@dataclass
class Calibrator:
    method: str  # "isotonic" / "platt" / "none"
    xs: list[float] = field(default_factory=list)  # isotonic knots on the raw probability
    ys: list[float] = field(default_factory=list)
    a: float = 1.0  # platt: sigmoid(a·logit(p) + b)
    b: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        raw = np.clip(np.asarray(raw, dtype=np.float64), 1e-9, 1 - 1e-9)
        if self.method == "isotonic" and self.xs:
            return np.clip(np.interp(raw, self.xs, self.ys), EPS, 1 - EPS)
        if self.method == "platt":
            z = self.a * np.log(raw / (1 - raw)) + self.b
            return 1 / (1 + np.exp(-z))
        return raw

    def to_dict(self) -> dict:
        return {"method": self.method, "xs": self.xs, "ys": self.ys, "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict) -> "Calibrator":
        return cls(**data)


def fit_calibrator(raw: np.ndarray, y: np.ndarray, method: str = "platt") -> Calibrator:
    raw = np.clip(np.asarray(raw, dtype=np.float64), 1e-9, 1 - 1e-9)
    y = np.asarray(y, dtype=np.float64)
    if method == "platt":
        model = LogisticRegression(C=1e6).fit(np.log(raw / (1 - raw)).reshape(-1, 1), y)
        return Calibrator("platt", a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))
    if method == "isotonic":
        model = IsotonicRegression(y_min=EPS, y_max=1 - EPS, out_of_bounds="clip").fit(raw, y)
        # The knots are all it needs: np.interp between them is what sklearn's predict does.
        xs, ys = model.X_thresholds_, model.y_thresholds_
        return Calibrator("isotonic", xs=[float(x) for x in xs], ys=[float(v) for v in ys])
    return Calibrator("none")
