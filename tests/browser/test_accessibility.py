"""Accessibility in a real browser.

- axe-core (WCAG 2.1 A and AA) finds no violation on the key pages, in English and in Arabic
  (right to left), for the roles that use them: each person's pages in one browser context,
  once per language (the language cookie switched between the two).
- After a failed submit the error summary has the focus (its `autofocus`), so that a screen
  reader reads it first and the keyboard starts from it.
- A success message stays in view when the page moves to an anchor after a POST (a comment
  added, an address added to the report's distribution list), on a wide screen and on a phone,
  without covering the anchor it moved to.
- An Arabic journey: the language chosen on the login page, then the home page and a mission
  page right to left: the menu, a table's columns and the lifecycle bar mirrored, with a
  full-page screenshot of the mission page kept under test-artifacts/.

The world is the URL matrix's (tests/test_url_matrix.py: in Pakistan a request in draft, one
submitted, one on the Task Team's board, a mission in planning with its ToR, team, election,
report and publication; the commitments' open round) with the follow-up matrix's mission in the
country (tests/browser/test_layout.py), built through the services, and a mission reporting,
with its distribution list. Sessions are made in-process (Client.force_login, past the second
factor) and handed to one browser context per person; the Arabic journey logs in through the
login page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, expect

from clusters.security import authenticator_code, second_factor_enforced
from missions.services.permissions import mission_leader_appoint
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_layout import build_follow_up, language_cookie, session_cookie
from tests.factories import make_final_report, make_member, make_mission
from tests.test_url_matrix import build_world

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Beside WCAG's rules, axe's best practices for the structure of a page: tagged best-practice,
# not WCAG, but a page's landmarks and the order of its headings are how it is read.
STRUCTURE = [
    "aria-allowed-role",
    "empty-heading",
    "heading-order",
    "landmark-one-main",
    "landmark-unique",
    "page-has-heading-one",
    "region",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_21_AA},
    "rules": {rule: {"enabled": True} for rule in STRUCTURE},
    "resultTypes": ["violations"],
}
AXE = Axe()
# No rule is excluded on any page: axe finds no false positive on them. (Left to review, as
# axe's "incomplete": the colour of the SVG charts' text, which is the page's ink on white, and
# the ✓ of the readiness lists, white on green at 5.4:1 and aria-hidden.)


def submit_empty_request(page: Page) -> None:
    """Submit the request form as it is, empty but for its title: what it needs is listed."""
    page.fill("#id_title", "A request to be completed")
    page.click("button[value=submit]")
    expect(page.locator(".notice.error[role=alert]")).to_be_visible()


def fail_to_log_in(page: Page) -> None:
    page.fill("#id_username", "nobody-by-this-name")
    page.fill("#id_password", "not the password")
    page.click("#content button[type=submit]")
    expect(page.locator("#content [role=alert]")).to_be_visible()


def add_a_comment(page: Page) -> None:
    """A comment added: the page moves to it, with the success message (in any language)."""
    page.fill("#comment_text", "The minutes of the HCT's meeting are on the shared drive.")
    page.click("form[action$='/comment/'] button[type=submit]")
    page.wait_for_url(re.compile(r"#comment-\d+$"))
    expect(page.locator("ul.messages")).to_be_visible()


def send_an_empty_comment(page: Page) -> None:
    page.click("form[action$='/comment/'] button[type=submit]")
    expect(page.locator("#comment_text[aria-invalid=true]")).to_be_visible()


@dataclass
class Visit:
    label: str
    path: str
    then: Callable[[Page], None] | None = None  # what to do once the page is open
    status: int = 200
    viewport: dict = field(default_factory=lambda: DESKTOP)


@dataclass
class Person:
    user: object  # None: nobody signed in
    visits: list[Visit] = field(default_factory=list)


def build_reporting(leader):
    """A mission reporting, led by `leader`, with a final report and a distribution list."""
    mission = make_mission("PAK", status="reporting", title="Pakistan: a mission reporting")
    make_member(mission, "member-reporting")
    mission_leader_appoint(mission, leader)
    make_final_report(mission, recipients=2)
    return mission


def key_pages(cast, world, followed, reporting) -> dict[str, Person]:
    """Who opens which page: each person's in one browser context."""
    own = world.places["own"]
    commitments = own.commitments
    round_ = commitments.round
    planned = own.planned
    point = followed["point"]

    def url(name, *args):
        return reverse(name, args=args)

    return {
        "anonymous": Person(
            None,
            [
                Visit("login", url("login")),
                Visit("login, failed", url("login"), then=fail_to_log_in),
                Visit("public reports", url("public:list")),
                Visit("public report", url("public:detail", own.publication.pk)),
                Visit("404", "/no-such-page/", status=404),
            ],
        ),
        "rc_hc_pakistan": Person(
            cast["rc_hc_pakistan"],
            [
                Visit("home (RC/HC)", url("home")),
                Visit("home (RC/HC) on a phone", url("home"), viewport=PHONE),
                Visit("mission in draft", url("missions:detail", own.draft.pk)),
                Visit("request form", url("missions:new")),
                Visit("request form, failed", url("missions:new"), then=submit_empty_request),
                Visit("edit the request", url("missions:edit", own.draft.pk)),
            ],
        ),
        "hcss": Person(
            cast["hcss"],
            [
                Visit("home (HCSS)", url("home")),
                Visit("mission submitted", url("missions:detail", own.submitted.pk)),
                Visit("follow-up tracker", url("missions:tracker")),
            ],
        ),
        "task_team": Person(
            cast["task_team"],
            [
                Visit("home (Task Team)", url("home")),
                Visit("Task Team board", url("task_team:board")),
                Visit("request's scoring page", url("task_team:request", own.on_board.pk)),
                Visit("mission with the Task Team", url("missions:detail", own.on_board.pk)),
            ],
        ),
        "gcc": Person(
            cast["gcc"],
            [
                Visit("home (GCC)", url("home")),
                Visit("mission list", url("missions:list")),
                Visit("mission in planning", url("missions:detail", planned.pk)),
                Visit(
                    "mission in planning on a phone",
                    url("missions:detail", planned.pk),
                    viewport=PHONE,
                ),
                Visit("planning", url("missions:planning", planned.pk)),
                Visit("team", url("missions:team", planned.pk)),
                Visit("invitations", url("missions:invitations", planned.pk)),
                Visit("ToR", url("missions:tor", planned.pk)),
                Visit("logistics", url("missions:logistics", planned.pk)),
                Visit("security", url("security")),
                Visit("404, signed in", url("missions:detail", 999_999), status=404),
            ],
        ),
        "team_member": Person(
            world.team_member,
            [
                Visit("election", url("missions:election", planned.pk)),
                Visit("notifications", url("notifications")),
            ],
        ),
        "focal_health": Person(cast["focal_health"], [Visit("home (focal point)", url("home"))]),
        "leader": Person(
            cast["leader"],
            [
                Visit("mission in the country", url("missions:detail", point.mission_id)),
                Visit("mission's tracker", url("missions:tracker_mission", point.mission_id)),
                Visit("action point", url("missions:action_point", point.pk)),
                Visit("mission reporting", url("missions:detail", reporting.pk)),
                Visit(
                    "mission reporting, a comment added",
                    url("missions:detail", reporting.pk),
                    then=add_a_comment,
                ),
                Visit(
                    "mission reporting, an empty comment",
                    url("missions:detail", reporting.pk),
                    then=send_an_empty_comment,
                ),
                Visit("report", url("missions:report", reporting.pk)),
                Visit("cluster's plan", url("missions:plan", followed["plan"].pk)),
            ],
        ),
        "follow_up_owner": Person(
            followed["people"]["follow_up_owner"],
            [Visit("my action points", url("missions:my_points"))],
        ),
        "coordinator_pakistan": Person(
            world.coordinator_pakistan,
            [
                Visit("commitments", url("commitments:index")),
                Visit("cluster's picture", url("commitments:cluster", round_.country_cluster_id)),
                Visit("round's picture", url("commitments:round", round_.pk)),
            ],
        ),
        "partner_pakistan": Person(
            world.partner_pakistan,
            [
                Visit("home (partner)", url("home")),
                Visit("self-assessment", url("commitments:assessment", commitments.assessment.pk)),
            ],
        ),
    }


def context_for(browser: Browser, user, live_server, viewport=DESKTOP) -> BrowserContext:
    """A browser context with `user`'s session (past the second factor), in English."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(session_cookie(user, live_server))
    return context


def described(violation: dict, where: str) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
    more = len(violation["nodes"]) - len(targets)
    return (
        f"{violation['id']} ({violation['impact']}) on {where}: {violation['help']}: "
        f"{' | '.join(targets)}{f' (and {more} more)' if more > 0 else ''}"
    )


def axe_violations(page: Page) -> list[dict]:
    """axe's violations on the page, with the targets' selectors: the first run goes without
    them (quicker on a long page), a page that has any is run again to name them."""
    page.evaluate(AXE.axe_script)  # (by the DevTools protocol: the page's CSP does not apply)
    quick = {**AXE_OPTIONS, "selectors": False, "ancestry": False, "xpath": False}
    if not page.evaluate(AXE_RUN, quick)["violations"]:
        return []
    return page.evaluate(AXE_RUN, AXE_OPTIONS)["violations"]


AXE_RUN = "(options) => axe.run(document, options)"


@pytest.fixture
def a11y_world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    world = build_world()
    mission_leader_appoint(world.places["own"].planned, cast["leader"])
    followed = build_follow_up(cast)
    reporting = build_reporting(cast["leader"])
    return key_pages(cast, world, followed, reporting)


def test_axe_finds_no_wcag_21_aa_violation_on_the_key_pages_in_english_or_arabic(
    browser: Browser, live_server, a11y_world
):
    """Each person's pages in one context, in English, then in Arabic (the language cookie)."""
    started = time.monotonic()
    problems: list[str] = []
    checked = 0
    for who, person in a11y_world.items():
        context = context_for(browser, person.user, live_server)
        page = context.new_page()
        for language in ("en", "ar"):
            if language == "ar":
                context.add_cookies(language_cookie("ar", live_server))
            for visit in person.visits:
                where = f"{visit.label} ({visit.path}, {language}, as {who})"
                page.set_viewport_size(visit.viewport)
                response = page.goto(f"{live_server.url}{visit.path}")
                if response is None or response.status != visit.status:
                    problems.append(f"{where}: answered {response and response.status}")
                    continue
                lang = page.locator("html").get_attribute("lang")
                assert lang.split("-")[0] == language, f"{where}: <html lang={lang!r}>"
                if visit.then:
                    visit.then(page)
                problems += [described(found, where) for found in axe_violations(page)]
                checked += 1
        if who == "anonymous":
            # That axe runs and would see a violation: a field with no label, on the last page.
            page.evaluate(UNLABELLED_FIELD)
            seen = {found["id"] for found in axe_violations(page)}
            assert "label" in seen, f"axe saw no unlabelled field: {seen}"
        context.close()
    print(f"\n{checked} pages checked with axe in {time.monotonic() - started:.1f} s")
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems)


UNLABELLED_FIELD = """() => {
  const field = document.createElement("input");
  field.type = "text";
  document.querySelector("main").append(field);
}"""


# The error summary takes the focus ----------------------------------------------------------

SUMMARY = ".notice.error[role=alert]"
FOCUSED_IS_SUMMARY = f"() => document.activeElement?.matches({SUMMARY!r}) ?? false"
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return "nothing";
  return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "")
    + (e.getAttribute("role") ? `[role=${e.getAttribute("role")}]` : "");
}"""


def assert_summary_focused(page: Page, what: str) -> None:
    expect(page.locator(SUMMARY)).to_be_visible()
    assert page.evaluate(FOCUSED_IS_SUMMARY), (
        f"after {what}, the focus is on {page.evaluate(FOCUSED)}, not on the error summary"
    )


def test_after_a_failed_submit_the_error_summary_has_the_focus(
    browser: Browser, live_server, cast, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "private"
    reporting = build_reporting(cast["leader"])

    context = context_for(browser, cast["rc_hc_pakistan"], live_server)
    page = context.new_page()
    page.goto(f"{live_server.url}/missions/new/")
    page.fill("#id_title", "Flood response coordination, Sindh")
    page.click("button[value=submit]")  # nothing else filled in
    assert_summary_focused(page, "submitting an incomplete request")
    context.close()

    # The distribution list's form: an address that is no address, and no name. (Its action has
    # no fragment: at a fragment, Chromium gives no element the autofocus.)
    context = context_for(browser, cast["leader"], live_server)
    page = context.new_page()
    page.goto(f"{live_server.url}/missions/{reporting.pk}/report/")
    add = page.locator("form", has=page.locator("#recipient_email"))
    add.locator("#recipient_email").fill("not an address")
    add.get_by_role("button", name="Add to the list").click()
    assert_summary_focused(page, "adding an address without a name to the distribution list")

    # An empty comment, at the foot of the mission's page: the summary above the form.
    page.goto(f"{live_server.url}/missions/{reporting.pk}/")
    page.click("form[action$='/comment/'] button[type=submit]")
    assert_summary_focused(page, "sending an empty comment")
    expect(page.locator("#comment_text")).to_have_attribute("aria-invalid", "true")
    context.close()


# A success message in view after a move to an anchor -------------------------------------------

IN_VIEW = """(target) => {
  const message = document.querySelector("ul.messages"), anchor = document.getElementById(target);
  const box = (element) => {
    const b = element.getBoundingClientRect();
    return {top: b.top, bottom: b.bottom};
  };
  return {message: message && box(message), anchor: anchor && box(anchor),
          height: window.innerHeight, scrolled: window.scrollY};
}"""
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def assert_message_and_anchor_in_view(page: Page, what: str) -> None:
    target = page.url.split("#", 1)[1]
    page.evaluate(NEXT_FRAME)
    found = page.evaluate(IN_VIEW, target)
    where = f"{what} at {page.viewport_size['width']}×{page.viewport_size['height']} ({found})"
    assert found["message"] and found["anchor"], f"{where}: no message or no #{target}"
    assert found["scrolled"] > 0, f"{where}: the page did not move to #{target}"
    message, anchor = found["message"], found["anchor"]
    assert message["top"] >= 0 and message["bottom"] <= found["height"], (
        f"{where}: the message is out of view"
    )
    assert anchor["top"] >= message["bottom"] - 1 and anchor["top"] < found["height"], (
        f"{where}: #{target} is under the message or out of view"
    )


def test_a_success_message_stays_in_view_when_the_page_moves_to_an_anchor(
    browser: Browser, live_server, cast, settings, tmp_path
):
    """The message sticks to the top of the screen while the page has a target (site.css), and
    the target is scrolled in below it (scroll-padding), not under it."""
    settings.MEDIA_ROOT = tmp_path / "private"
    leader = cast["leader"]
    reporting = build_reporting(leader)
    context = context_for(browser, leader, live_server)
    page = context.new_page()
    for number, viewport in enumerate((DESKTOP, PHONE), start=1):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/missions/{reporting.pk}/")
        page.fill("#comment_text", f"Comment number {number}: the minutes are on the shared drive.")
        page.get_by_role("button", name="Add comment").click()
        page.wait_for_url(re.compile(r"#comment-\d+$"))
        expect(page.locator("ul.messages")).to_contain_text("Your comment is added.")
        assert_message_and_anchor_in_view(page, "a comment added")

        page.goto(f"{live_server.url}/missions/{reporting.pk}/report/")
        add = page.locator("form", has=page.locator("#recipient_email"))
        add.locator("#recipient_name").fill(f"Global Health Cluster {number}")
        add.locator("#recipient_email").fill(f"health-{number}@example.org")
        add.get_by_role("button", name="Add to the list").click()
        page.wait_for_url(re.compile(r"#distribution$"))
        expect(page.locator("ul.messages")).to_contain_text("is on the distribution list")
        assert_message_and_anchor_in_view(page, "an address added to the distribution list")
    context.close()


# An Arabic journey ----------------------------------------------------------------------------

BOXES = """(selector) => [...document.querySelectorAll(selector)].map((element) => {
  const box = element.getBoundingClientRect();
  return {left: box.left, right: box.right, top: box.top, text: element.textContent.trim()};
})"""


def boxes(page: Page, selector: str) -> list[dict]:
    found = page.evaluate(BOXES, selector)
    assert len(found) >= 2, f"{page.url}: fewer than two of {selector}"
    return found


def assert_right_to_left(page: Page, selector: str, what: str) -> None:
    """The items of `selector` on the first line run from right to left: the first starts on
    the right half, each next one is to the left of the one before, and the first is to the
    right of the last one on its line."""
    found = boxes(page, selector)
    first = found[0]
    line = [box for box in found if abs(box["top"] - first["top"]) < 2]
    assert len(line) >= 2, f"{page.url}: {what} has one item on its first line"

    def at(box):
        return f"{box['text']!r} at {box['left']:.0f}–{box['right']:.0f} px"

    assert first["right"] > page.viewport_size["width"] / 2, (
        f"{page.url}: {what} starts on the left half: {at(first)}"
    )
    for before, after in zip(line, line[1:], strict=False):
        assert after["right"] <= before["left"] + 1, (
            f"{page.url}: {what} runs left to right: {at(before)}, then {at(after)}"
        )
    assert first["left"] > line[-1]["right"], f"{page.url}: {what}: {at(first)}, {at(line[-1])}"


def assert_arabic(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def log_in(page: Page, user) -> None:
    """The login page's form (and the second factor's, for whom it is enforced), in whatever
    language the page is: by the fields, not the buttons' words."""
    device = None
    if second_factor_enforced(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or (
            TOTPDevice.objects.create(user=user, name="Browser tests' authenticator")
        )
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw")
    page.click("#content button[type=submit]")
    if device is not None:
        page.wait_for_url("**/account/two-factor/**")
        device.refresh_from_db()
        page.fill("#id_code", authenticator_code(device))
        page.click("#content button[type=submit]")
    expect(page.locator("form.logout button")).to_be_visible()


def test_an_arabic_journey_from_the_login_page_to_a_mission_page_right_to_left(
    page: Page, live_server, cast, capsys
):
    rc_hc = cast["rc_hc_pakistan"]
    mission = make_mission("PAK", status="in_planning", title="Pakistan: floods in Sindh")
    make_mission("PAK", status="submitted", title="Pakistan: drought in Balochistan")

    page.goto(f"{live_server.url}/login/")
    page.select_option("#language-choice", label="العربية")
    page.click("form.language button[type=submit]")
    assert_arabic(page)
    expect(page).to_have_url(re.compile(r"/login/"))
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookie.get(django_settings.LANGUAGE_COOKIE_NAME) == "ar"

    log_in(page, rc_hc)
    expect(page).to_have_url(f"{live_server.url}/")
    assert_arabic(page)
    assert_right_to_left(page, "header.site nav a", "the main navigation")

    page.goto(f"{live_server.url}/missions/")
    assert_arabic(page)
    assert_right_to_left(page, "main table thead th", "the missions' table")
    page.get_by_role("link", name=mission.title).click()

    expect(page).to_have_url(f"{live_server.url}/missions/{mission.pk}/")
    assert_arabic(page)
    assert_right_to_left(page, "header.site nav a", "the main navigation")
    assert_right_to_left(page, "ol.lifecycle li", "the lifecycle bar")
    expect(page.locator("ol.lifecycle li[aria-current=step]")).to_have_count(1)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "arabic-mission-page.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 0
    with capsys.disabled():
        print(f"\nThe Arabic mission page, full length: {shot}")
