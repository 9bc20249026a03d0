"""Headers on every response that keep pages out of frames, scripts to our own files, and
personal data out of caches."""

from flask import Flask, request
from flask_login import current_user
from werkzeug.wrappers import Response

# Endpoints that serve our own static files and vendored packages: no personal data, so
# browsers may cache them.
PUBLIC_FILE_ENDPOINTS = frozenset({"static", "assets.vendor"})


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        headers.setdefault("X-Frame-Options", "DENY")  # browsers without frame-ancestors
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in PUBLIC_FILE_ENDPOINTS and current_user.is_authenticated:
            # Pages and downloads of a signed-in user carry personal data: a shared village
            # computer's cache or the back button after logout must not show them.
            headers["Cache-Control"] = "no-store"
        return response
