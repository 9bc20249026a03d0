"""Configuration defaults. Secrets never live here: they come from the instance folder
(`instance/settings.py`, written by `flask init-instance`) or from AGRI_CREDIT_* variables."""

from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DefaultConfig:
    SECRET_KEY: str | None = None
    ID_ENCRYPTION_KEY: str | None = None
    # None means the embedded SQLite database under the instance folder.
    SQLALCHEMY_DATABASE_URI: str | None = None
    # hide_parameters: a database error in a log must not carry the statement's values (they
    # include keyed hashes of ID numbers).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # PostgreSQL cancels a web request's statement after this long (ms; 0: never). Imports
    # and other jobs lift it for their own transaction.
    WEB_STATEMENT_TIMEOUT_MS = 30_000
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # bytes; larger uploads get a clear 413 page
    XLSX_MAX_ROWS = 20_000
    # Department files (部门数据 → 数据导入) are large: this route's own limit, applied before
    # anything reads the form (agri_credit/request_limits.py). README promises 512 MB.
    DEPARTMENTAL_UPLOAD_MAX_BYTES = 512 * 1024 * 1024
    # A department file's header row; a 10,000-column header would make the mapping page
    # unusable (one select per platform field, each offering every column).
    DEPARTMENTAL_MAX_COLUMNS = 200
    # Uploaded .xlsx files are zips, checked before they are opened (village_forms/
    # xlsx_archive.py, whose XlsxLimits defaults match these): everything the parts unpack to
    # (cadres' sheets / department files), how much one sizeable part may be compressed (real
    # sheet XML: 5-20 times; decompression bombs: hundreds to thousands), and how many parts.
    XLSX_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
    DEPARTMENTAL_XLSX_MAX_UNZIPPED_BYTES = 4 * 1024 * 1024 * 1024
    XLSX_MAX_COMPRESSION_RATIO = 100
    XLSX_MAX_PARTS = 10_000
    PAGE_SIZE = 20
    ASSET_ROOT = PROJECT_ROOT / "node_modules"
    REDIS_URL: str | None = None
    # The RQ queue of imports and scoring runs (None: agri-credit-imports, as `rq worker` is told).
    IMPORT_QUEUE_NAME: str | None = None
    # Without REDIS_URL, an import runs in a background thread of the web process (True) or
    # inside the request (False: tests, to wait for it deterministically).
    IMPORTS_IN_BACKGROUND = True
    # A running import that has not beaten its heartbeat for this long was killed; the
    # sweep records it as failed. Its upload is kept this long for a restart, then deleted.
    IMPORT_STALE_AFTER_MINUTES = 10
    IMPORT_FILE_RETENTION_HOURS = 24
    # A run's results XLSX with more rows than this in the user's scope is written by a
    # background job (a county's 30,000 households: seconds); smaller ones download at once.
    EXPORT_JOB_MIN_ROWS = 5_000
    DEMO_SEED = 20261123
    # `seed-demo`: SMEs in the county, and its last step (loans.scoring.demo_history): the
    # loan history with a known truth for the firms and this many households, about this
    # many loans each over three years, then the first model trained and the county scored.
    DEMO_ENTERPRISES = 3_000
    DEMO_SCORING = True
    DEMO_HISTORY_HOUSEHOLDS = 5_500
    DEMO_HISTORY_LOANS_PER_SUBJECT = 5.0
    # Rating cycle (DOMAIN.md): 公示 days, days to answer an objection, minimum months a
    # negative public record shows before credit repair by severity, working days to decide
    # a repair, largest evidence file.
    PUBLICITY_DAYS = 7
    OBJECTION_DAYS = 20
    REPAIR_MIN_MONTHS = {"minor": 0, "general": 3, "serious": 12}
    REPAIR_DECISION_WORKING_DAYS = 10
    REPAIR_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    # 双人复核: a repair decision, a rule set's publication and a run's approval are made by
    # another person of the office than the one who filed, drafted or started it.
    SECOND_PERSON_APPROVAL = True
    # An office's dashboard lists objections and repairs due within this many working days.
    DASHBOARD_DUE_WORKING_DAYS = 3
    # 信易贷: a bank's claim (抢单) on a need holds this many working days, then the need
    # returns to the pool.
    NEED_CLAIM_WORKING_DAYS = 3
    # 整村授信 (loans/village_lines): a new 整村授信 product's line table starts from these:
    # line by grade (元), a household scored below the cap points (the 高风险 band) gets at
    # most the cap amount, and the 守信激励 discounts (percentage points off the product's
    # highest annual rate) for a 信用户 and for a household of a 信用村; lines run this many
    # days from the grant by default.
    VILLAGE_LINE_GRADE_AMOUNTS = {"AAA": 100_000, "AA": 50_000, "A": 30_000}
    VILLAGE_LINE_CAP_BELOW_POINTS = 545
    VILLAGE_LINE_CAP_AMOUNT = 10_000
    VILLAGE_LINE_CREDIT_HOUSEHOLD_DISCOUNT = 0.20
    VILLAGE_LINE_CREDIT_VILLAGE_DISCOUNT = 0.10
    VILLAGE_LINE_VALID_DAYS = 365
    # Default-risk score (issue 14, loans/scoring): a loan defaults when it reaches
    # SCORING_DEFAULT_DAYS overdue or 次级/可疑/损失 within SCORING_LABEL_WINDOW_MONTHS of
    # its start; points = offset - factor*ln(odds), SCORING_BASE_POINTS at good:bad odds of
    # SCORING_BASE_ODDS, SCORING_POINTS_TO_DOUBLE more for twice the odds, clipped.
    SCORING_LABEL_WINDOW_MONTHS = 12
    SCORING_DEFAULT_DAYS = 90
    SCORING_BASE_POINTS = 600
    SCORING_BASE_ODDS = 50
    SCORING_POINTS_TO_DOUBLE = 20
    SCORING_MIN_POINTS = 300
    SCORING_MAX_POINTS = 900
    SCORING_CALIBRATION = "platt"  # or "isotonic"
    SCORING_VALID_SHARE = 0.15  # most recent starts but the test period: stop and calibrate
    SCORING_TEST_SHARE = 0.15  # most recent starts: the reported metrics
    SCORING_LGBM_PARAMS: dict = {}  # overrides of loans.scoring.training.DEFAULT_PARAMS
    # Fit the WOE-logistic scorecard beside each model and report its figures (optbinning;
    # most of a training's time on a small county). Tests not about it turn it off.
    SCORING_BASELINE = True
    # Sign-in (issue 10): remember-me lasts two weeks at most; both cookies are SameSite=Lax
    # and, with SECURE_COOKIES (production behind HTTPS), sent over HTTPS only.
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SAMESITE = "Lax"
    SECURE_COOKIES = False
    # Scripts only from our own files (no inline code or on*= handlers: static/app.js reads
    # data- attributes instead). Inline styles stay allowed: ECharts and templates use them.
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    # Brute force: wrong passwords allowed per address and per account name (Flask-Limiter
    # notation; only failed attempts count), and the lock after consecutive failures.
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute"
    LOGIN_LIMIT_PER_ACCOUNT = "10 per minute"
    LOGIN_LOCKOUT_FAILURES = 10
    LOGIN_LOCKOUT_MINUTES = 15


class TestConfig(DefaultConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # A fixed key keeps test data decryptable across app instances in one run.
    ID_ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    WTF_CSRF_ENABLED = False
    IMPORTS_IN_BACKGROUND = False
    # Three more models per training; the test that reads the comparison turns it on.
    SCORING_COMPARE_PER_TYPE = False
    # Faster training for tests about what is done with a model, not how well it ranks: on
    # 6,000 synthetic loans ~110 trees instead of ~420 at the default 0.03, about the same
    # AUC. Tests of the defaults' quality (tests/test_scoring_training.py) train with them.
    SCORING_LGBM_PARAMS: dict = {"learning_rate": 0.1}
    # Small demo counties: the seed's tests that need SMEs or the first model turn them on.
    DEMO_ENTERPRISES = 60
    DEMO_SCORING = False
