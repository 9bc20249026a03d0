"""Serves front-end packages installed by `npm ci` (Bootstrap, ECharts) from this app: no CDN."""

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("assets", __name__)

# Only the built distribution folders are exposed, never the rest of node_modules.
PACKAGES = {
    "bootstrap": "bootstrap/dist",
    "echarts": "echarts/dist",
}


@bp.route("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in PACKAGES:
        abort(404)
    root = current_app.config["ASSET_ROOT"] / PACKAGES[package]
    return send_from_directory(root, filename, max_age=7 * 24 * 3600)


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask the site root for /favicon.ico before they read the page's <link>s."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=7 * 24 * 3600
    )
