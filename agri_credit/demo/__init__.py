"""The demo county: `generator` builds it as DataFrames from a seed, `loader` writes it."""

# Every demo account shares this password; `flask demo-logins` prints it. Demo data only:
# a real deployment never runs `seed-demo`.
DEMO_PASSWORD = "fuping2026"
