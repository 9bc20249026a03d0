"""信易贷 matching: every open financing need against every listed loan product by hard rules,
with a failure bitmask per pair, a ranking of the eligible products and the reasons in plain
Chinese. `engine` and `reasons` are plain functions over DataFrames (benchmarked in
`bench/bench_matching.py`)."""
