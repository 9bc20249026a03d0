"""The demo county's known default probabilities (`instance/demo_truth.csv`: skey, loan,
true_probability), written by `seed-demo` and kept out of every table and page. A model
trained on the demo ledger reports the AUC of that truth on its held-out loans that have one
(loans recorded later, on the platform or by the demo's own bank files, have none)."""

from pathlib import Path

import pandas as pd

TRUTH_FILE = "demo_truth.csv"


def truth_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / TRUTH_FILE


def read_truth(instance_path: str | Path) -> pd.DataFrame | None:
    """The demo truth when the instance folder holds one, else None."""
    path = truth_path(instance_path)
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"skey": "int64", "loan": str, "true_probability": float})
