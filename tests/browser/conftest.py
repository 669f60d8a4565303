"""Browser tests: Playwright's sync API driving Debian's Chromium, headless, against live_server.

Chromium comes from the system (apt-get install chromium), never from `playwright install`.
Without it the browser tests are skipped on a laptop, and fail on CI (CI is set there).

Each test gets a fresh browser context (no cookies carried over) and logs in through the real
login page, and the second factor's page for those who must pass one (with a code computed from
an authenticator device made for them). The tests use live_server, so their database is
transactional: mark them `pytest.mark.django_db(transaction=True, serialized_rollback=True)` so
the reference data of the data migrations (countries, clusters, scoring criteria) is there for
each of them.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from clusters.security import authenticator_code, second_factor_enforced

MISSING_CHROMIUM = "Browser tests need Debian's Chromium: apt-get install chromium (CI installs it)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1200, "height": 900}
# Playwright's own default is 30 s; a page of this app loads in well under a second.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system's Chromium. Missing: skipped, except on CI, where it is a failure."""
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    return found


@pytest.fixture(scope="package")
def playwright(django_db_setup) -> Iterator[Playwright]:
    """Playwright, for the browser tests only, with Django's database access adapted to it.

    Playwright's sync API keeps an asyncio loop running in the test thread. Two things follow:

    - Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation):
      DJANGO_ALLOW_ASYNC_UNSAFE lifts that while Playwright runs.
    - Django's connection handler (asgiref's Local) is context-local rather than thread-local
      under a running loop, so the test thread gets fresh connection wrappers. They lack the
      serialized copy of the migrations' rows that `serialized_rollback` restores from, and
      the reference data would be gone after the first test: hand it over to them.

    The package scope stops Playwright, closes those connections and restores the variable once
    the browser tests are done: the rest of the suite runs as before.
    """
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as running:
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            yield running
            connections.close_all()


@pytest.fixture(scope="package")
def browser(chromium_path: str, playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new page in a new browser context: nobody is logged in."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def login(page: Page, live_server, username: str, password: str = "pw") -> None:
    """Log in through the login page, as a person would, and wait until it is done: with the
    code of their authenticator app too, for those who must pass a second factor."""
    user = get_user_model().objects.get(username=username)
    device = None
    if second_factor_enforced(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Browser tests' authenticator")
        # A code works once in its 30 seconds: a test may log the same person in twice.
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#content button[type=submit]")
    if device is not None:
        page.wait_for_url("**/account/two-factor/**")
        device.refresh_from_db()
        page.fill("#id_code", authenticator_code(device))
        page.click("#content button[type=submit]")
        expect(page.locator("#id_code")).to_have_count(0)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
