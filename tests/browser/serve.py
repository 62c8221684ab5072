"""The application as the browser tests serve it with gunicorn: production's pages and
forms, CSRF protection on, on the database named by ``TEST_DATABASE_URL``."""

from catalog import create_app
from config import TestingConfig


class BrowserConfig(TestingConfig):
    # A real browser submits the real forms, tokens included: test them as they run.
    WTF_CSRF_ENABLED = True


app = create_app(BrowserConfig)
