"""The default-risk score (issue 14): features as of a date, labels from the loan ledgers,
LightGBM training with calibration and scorecard points, reasons, and the WOE-logistic
baseline.

Everything here is plain functions over DataFrames. Only `store` (reads departmental rows
and files into frames), `registry` (models) and `service` (training and scoring against the
database) touch the database; the rest can be benchmarked and tested without Flask.
"""
