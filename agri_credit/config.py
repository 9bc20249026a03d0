"""Configuration defaults. Secrets never live here: they come from the instance folder
(`instance/settings.py`, written by `flask init-instance`) or from AGRI_CREDIT_* variables."""

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
    PAGE_SIZE = 20
    ASSET_ROOT = PROJECT_ROOT / "node_modules"
    REDIS_URL: str | None = None
    # Without REDIS_URL, an import runs in a background thread of the web process (True) or
    # inside the request (False: tests, to wait for it deterministically).
    IMPORTS_IN_BACKGROUND = True
    # A running import that has not beaten its heartbeat for this long was killed; the
    # sweep records it as failed. Its upload is kept this long for a restart, then deleted.
    IMPORT_STALE_AFTER_MINUTES = 10
    IMPORT_FILE_RETENTION_HOURS = 24
    DEMO_SEED = 20261123
    # Rating cycle (DOMAIN.md): 公示 days, days to answer an objection, minimum months a
    # negative public record shows before credit repair by severity, working days to decide
    # a repair, largest evidence file.
    PUBLICITY_DAYS = 7
    OBJECTION_DAYS = 20
    REPAIR_MIN_MONTHS = {"minor": 0, "general": 3, "serious": 12}
    REPAIR_DECISION_WORKING_DAYS = 10
    REPAIR_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024


class TestConfig(DefaultConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    # A fixed key keeps test data decryptable across app instances in one run.
    ID_ENCRYPTION_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    WTF_CSRF_ENABLED = False
    IMPORTS_IN_BACKGROUND = False
