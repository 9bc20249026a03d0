from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from agri_credit.audit import record_event
from agri_credit.errors import wants_json
from agri_credit.extensions import limiter, login_manager
from models import User, db

from . import bp
from .accounts import (
    LoginPolicy,
    authenticate,
    change_password,
    end_all_sessions,
    user_for_session,
)
from .forms import LoginForm, PasswordChangeForm


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    return user_for_session(session_id)


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return jsonify(error="unauthorized", message=_("请先登录")), 401
    flash(_("请先登录"), "warning")
    # `full_path` ends in a bare "?" when there is no query string.
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: an open redirect would make a fine phishing link.
    Control characters (CR/LF would split the Location header) and backslashes (browsers
    read `/\\evil.example` as `//evil.example`) mean no `next` at all."""
    if not target:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_failed(response) -> bool:
    # Only attempts that did not sign in count against the limits: a success redirects.
    return response.status_code != 302


def _login_account() -> str:
    return "login-account:" + request.form.get("username", "").strip().lower()[:64]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        policy = LoginPolicy(
            lockout_failures=current_app.config["LOGIN_LOCKOUT_FAILURES"],
            lockout=timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]),
        )
        outcome = authenticate(form.username.data.strip(), form.password.data, policy)
        if outcome.user is None:
            db.session.commit()  # the failure and any lock are journalled
            flash(outcome.refusal, "danger")
        else:
            login_user(outcome.user, remember=form.remember.data)
            record_event("auth.login", "user", outcome.user.id, _("登录"), user=outcome.user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends every session of the user, on every device, and her remember-me cookies: a
    copied cookie must not outlive the logout."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        end_all_sessions(user)
        record_event("auth.logout", "user", user.id, _("退出登录"), user=user)
        db.session.commit()
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(  # a borrowed session must not become a way to guess the password
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
)
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("当前密码不正确"))
        else:
            change_password(user, form.new_password.data)
            db.session.commit()
            login_user(user)  # this session goes on under the new version; all others end
            flash(_("密码已修改，其他设备上的登录已全部退出"), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        refresh()  # Flask-Babel caches the locale per app context; drop the old choice
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
