"""Extensions, created unbound and bound to an app in `app.create_app`."""

from flask import current_app, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import IdCipher

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
migrate = Migrate(render_as_batch=True)
# No default limits: only the views that name a limit (login) are throttled. If Redis goes
# away, counting goes on in memory rather than failing the login.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True)


def select_locale() -> str:
    if not has_request_context():  # CLI, jobs and benchmarks speak the default locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_id_cipher(app) -> None:
    key = app.config.get("ID_ENCRYPTION_KEY")
    app.extensions["id_cipher"] = IdCipher(key) if key else None


def id_cipher() -> IdCipher:
    cipher = current_app.extensions.get("id_cipher")
    if cipher is None:
        raise RuntimeError(
            "ID_ENCRYPTION_KEY is not configured: run `flask init-instance` "
            "or set AGRI_CREDIT_ID_ENCRYPTION_KEY"
        )
    return cipher
