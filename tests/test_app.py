"""The application factory, error pages, locally served assets."""

from pathlib import Path

from agri_credit.config import TestConfig
from app import create_app


def test_creating_the_app_touches_no_database(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/never.db"

    create_app(Config)
    assert not Path(tmp_path, "never.db").exists()


def test_bootstrap_is_served_by_the_app_not_a_cdn(client):
    css = client.get("/vendor/bootstrap/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower() and "https://" not in page


def test_only_whitelisted_packages_are_served(client):
    assert client.get("/vendor/tslib/package.json").status_code == 404
    assert client.get("/vendor/bootstrap/../package.json").status_code == 404


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_unexpected_errors_render_a_500_page(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path}/boom.db"

    app = create_app(Config)

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert "服务器内部错误" in response.get_data(as_text=True)
