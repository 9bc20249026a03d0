"""信易贷 matching: every open financing need against every listed loan product by hard rules,
with a failure bitmask per pair, a ranking of the eligible products and the reasons in plain
Chinese. `engine` and `reasons` are plain functions over DataFrames (benchmarked in
`bench/bench_matching.py`); `store` reads their frames, `services` keeps the stored results in
step with the data (`hooks` wires it to the write paths), and the blueprint is the
applicant's match page."""

from flask import Blueprint

bp = Blueprint("matching", __name__)

from . import routes  # noqa: E402,F401
