"""Configuration: production refuses weak secrets; development just works."""

import os

import pytest

from catalog import create_app
from config import (
    DEVELOPMENT_SECRET_KEY,
    DevelopmentConfig,
    ProductionConfig,
    config_from_environment,
)


@pytest.mark.parametrize("key", ["", DEVELOPMENT_SECRET_KEY, "short-secret"])
def test_production_refuses_to_start_without_a_real_secret(key):
    class Config(ProductionConfig):
        SECRET_KEY = key

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config)


def test_production_starts_with_a_real_secret():
    class Config(ProductionConfig):
        SECRET_KEY = "x" * 48
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug


@pytest.mark.skipif("DATABASE_URL" in os.environ, reason="DATABASE_URL overrides the default")
def test_development_defaults_to_sqlite_in_the_instance_folder():
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("instance/catalog.db")


def test_environment_selects_the_config(monkeypatch):
    monkeypatch.setenv("CATALOG_ENV", "production")
    assert config_from_environment() is ProductionConfig
    monkeypatch.setenv("CATALOG_ENV", "staging")
    with pytest.raises(RuntimeError, match="CATALOG_ENV"):
        config_from_environment()
