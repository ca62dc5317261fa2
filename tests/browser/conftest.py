"""Fixtures of the browser tests (helpers in browser_support.py, named apart from tests/system's conftest)."""
from browser_support import browser, phone, portal  # noqa: F401
