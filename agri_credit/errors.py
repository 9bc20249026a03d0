"""Central error pages: a Chinese page for browsers, JSON for API clients, rollback on 500."""

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models import N_, db

MESSAGES = {
    400: N_("请求有误"),
    403: N_("您无权访问此页面"),
    404: N_("页面不存在，或不在您的管辖范围内"),
    405: N_("不支持该请求方法"),
    413: N_("上传的文件太大"),
    429: N_("尝试过于频繁，请稍后再试"),
    500: N_("服务器内部错误，已记录，请稍后再试"),
}
# Stable machine-readable codes of JSON errors (the bank API documents them).
JSON_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


def wants_json() -> bool:
    """API clients get JSON errors; browsers get the Chinese page."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def render_error(code: int, message: str | None = None):
    message = message or _(MESSAGES.get(code, "请求有误"))
    if wants_json():
        return jsonify(code=JSON_ERROR_CODES.get(code, "error"), message=message, error=code), code
    return render_template("errors/error.html", code=code, message=message), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _("表单已过期，请刷新页面后重新提交"))

    @app.errorhandler(413)
    def too_large(error: HTTPException):
        # The limit of the route that refused the body (request_limits.py), not the app's.
        limit_mb = (request.max_content_length or 0) // (1024 * 1024)
        return render_error(413, _("上传的文件太大（上限 %(mb)s MB）", mb=limit_mb))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return render_error(500)
