"""The pages work under the Content-Security-Policy in a real browser: an HCSS officer passes the
second factor through the login pages, opens the admin (its index, the triage queue, the mission
changelist, a change page, the dashboard) and pages of the site, and the browser reports no
violation of the policy. A control shows that a violation would be seen."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from missions.models import Mission
from tests.browser.conftest import login
from tests.factories import make_mission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Registered before any page loads (Playwright injects it past the policy): every violation the
# browser reports lands in window.cspViolations.
LISTEN = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def watch(page: Page) -> list[str]:
    """The policy's violations as the page and the console report them, as they come."""
    console: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            console.append(message.text)

    page.on("console", on_console)
    page.add_init_script(LISTEN)
    return console


def violations(page: Page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.cspViolations || []"), *console]


def visit(page: Page, url: str, console: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert violations(page, console) == [], url


@pytest.fixture
def missions(db):
    submitted = make_mission("PAK", status="submitted", title="Drought response, Balochistan")
    # Waiting well past the triage target: the queue marks it overdue.
    Mission.objects.filter(pk=submitted.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=40)
    )
    planned = make_mission("NPL", status="in_planning", title="Earthquake recovery, Gorkha")
    return submitted, planned


def test_hcss_passes_the_second_factor_and_the_admin_breaks_no_rule_of_the_policy(
    page: Page, live_server, cast, missions
):
    submitted, planned = missions
    console = watch(page)
    login(page, live_server, cast["hcss"].username)
    assert violations(page, console) == []

    visit(page, f"{live_server.url}/admin/", console)
    expect(page.locator("#hcss-desk")).to_be_visible()
    visit(page, f"{live_server.url}/admin/missions/triagerequest/", console)
    expect(page.locator(".icsm-overdue").first).to_be_visible()
    visit(page, f"{live_server.url}/admin/missions/mission/", console)
    page.get_by_role("link", name=planned.title).first.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#content h1, #content h2").first).to_be_visible()
    assert f"/admin/missions/mission/{planned.pk}/change/" in page.url
    assert violations(page, console) == []
    visit(page, f"{live_server.url}/admin/missions/dashboard/", console)
    visit(page, f"{live_server.url}/admin/missions/triagerequest/{submitted.pk}/change/", console)
    expect(page.locator("#transitions")).to_be_visible()

    # And pages of the site, the QR code of the set-up page among them.
    for path in (
        "/",
        "/missions/",
        f"/missions/{planned.pk}/",
        "/task-team/",
        "/account/security/",
    ):
        visit(page, f"{live_server.url}{path}", console)
    visit(page, f"{live_server.url}/account/two-factor/setup/", console)
    expect(page.locator("svg.qr")).to_be_visible()


def test_a_violation_would_be_seen(page: Page, live_server, cast):
    console = watch(page)
    login(page, live_server, cast["outsider"].username)
    assert violations(page, console) == []
    page.evaluate("document.body.setAttribute('style', 'background: red')")
    page.wait_for_function("window.cspViolations.length > 0")
    assert any("style-src" in found for found in violations(page, console))
