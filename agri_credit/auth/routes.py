from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from agri_credit.audit import record_event
from agri_credit.extensions import login_manager
from models import User, db

from . import bp
from .forms import LoginForm


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return jsonify(error="unauthorized", message=_("请先登录")), 401
    flash(_("请先登录"), "warning")
    return redirect(url_for("auth.login", next=request.full_path))


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is None or not user.check_password(form.password.data):
            flash(_("用户名或密码错误"), "danger")
        elif not user.active:
            flash(_("该账号已停用，请联系信用办"), "danger")
        else:
            login_user(user, remember=form.remember.data)
            record_event("auth.login", "user", user.id, _("登录"), user=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        refresh()  # Flask-Babel caches the locale per app context; drop the old choice
    return redirect(safe_next(request.form.get("next")) or url_for("dashboard.index"))
