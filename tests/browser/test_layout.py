"""The layout on a phone, in both directions: at 390 × 844 CSS px no page of the URL matrix that
answers 200 scrolls sideways, in English and in Arabic (right to left); the header stays within
a fifth of the screen; the menu opens without JavaScript; and a page stays light on a slow line:
≤ 100 KB on a first load, ≤ 20 KB once the cache is warm (what the Resource Timing API counts as
transferred: the page, its stylesheet; a cache hit is 0, a 304 its headers).

Under live_server the static files are served by Django's StaticFilesHandler, not WhiteNoise:
Last-Modified and no Cache-Control, so the browser keeps the stylesheet on heuristic freshness
(or revalidates it, 304). In production WhiteNoise serves it hashed, compressed and cached for
good. The HTML is not compressed in either (no GZipMiddleware, no proxy in docker-compose.yml).

The world is the URL matrix's (tests/test_url_matrix.py: a request in draft, one submitted, one
on the board and a mission in planning in Pakistan and in Nepal, the commitments' rounds) with the
follow-up matrix's mission in the country (tests/missions/test_followup_pages.py), built through
the services. Each page is opened by the first of the cast, in PREFERENCE's order, to whom the
matrix gives a 200; the home page by each main role. The cast's sessions are made in-process
(Client.force_login, past the second factor) and handed to one browser context per person.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Error, Page

from missions.models import Evidence, Nomination
from missions.services.followup import plan_create, progress_post
from missions.services.permissions import mission_leader_appoint, team_member_grant
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import UserFactory, make_mission
from tests.missions import test_followup_pages as followup
from tests.test_url_matrix import OK, ROWS, build_world, expected, url_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# ICSM_LAYOUT_SHOTS=folder: a screenshot of each page measured, in each language, to look at.
SHOTS = Path(os.environ["ICSM_LAYOUT_SHOTS"]) if os.environ.get("ICSM_LAYOUT_SHOTS") else None
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}
HEADER_SHARE = 0.2  # of the viewport's height
FIRST_LOAD_BUDGET = 100 * 1024
WARM_LOAD_BUDGET = 20 * 1024

# Who opens a page: the first of these the matrix lets see it (anonymous first on the public
# pages). The staff RC/HC has the longest menu (a request, the admin).
PREFERENCE = [
    "staff_pakistan",
    "hcss",
    "gcc",
    "leader",
    "task_team",
    "team_member",
    "invited_focal_point",
    "coordinator_pakistan",
    "partner_pakistan",
    "rc_hc_pakistan",
    "hct_pakistan",
    "focal_health",
    "cci_gender",
    "outsider",
]
# The home page differs by role: each main role opens it.
HOME_ROLES = [
    "rc_hc_pakistan",
    "hct_pakistan",
    "hcss",
    "task_team",
    "gcc",
    "focal_health",
    "leader",
    "coordinator_pakistan",
    "partner_pakistan",
]
# Routes that answer with a file, not a page (PDF, CSV, spreadsheet, feed, script, JSON).
NOT_PAGES = {
    "missions:attachment",
    "missions:briefing",
    "missions:evidence",
    "missions:tracker_csv",
    "missions:tracker_xlsx",
    "reports:download",
    "reports:delivery",
    "public:feed",
    "public:pdf",
    "commitments:round_csv",
    "commitments:round_xlsx",
    "commitments:evidence",
    "admin:jsi18n",
    "admin:autocomplete",
}
ADMIN_PAGES = {
    "admin:index",
    "admin:app_list",
    "admin:missions_dashboard",
    "admin:password_change",
    "admin:missions_mission_change",
    "admin:missions_triagerequest_change",
}
FOLLOW_UP_FORMS = ["action_point_edit"]
# The follow-up matrix's people, by the names of this cast.
FOLLOW_UP_PEOPLE = {"member": "follow_up_member", "owner": "follow_up_owner"}

# The page at the viewport: its width, its direction, the header's height and, when it scrolls
# sideways, the elements that stick out furthest (outside any box that scrolls or clips them).
MEASURE = """
() => {
  const root = document.documentElement, width = window.innerWidth;
  const header = document.querySelector("header.site");
  const found = {
    scrollWidth: root.scrollWidth, innerWidth: width, innerHeight: window.innerHeight,
    dir: document.dir, header: header ? header.getBoundingClientRect().height : 0,
    culprits: [],
  };
  const loaded = [...performance.getEntriesByType("navigation"),
                  ...performance.getEntriesByType("resource")];
  found.bytes = loaded.reduce((sum, entry) => sum + entry.transferSize, 0);
  found.entries = loaded.map((entry) => `${entry.name}: ${entry.transferSize}`);
  if (root.scrollWidth <= width) return found;
  const rtl = getComputedStyle(root).direction === "rtl";
  const clipped = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const describe = (element) => {
    let name = element.tagName.toLowerCase();
    if (element.id) name += "#" + element.id;
    if (element.classList.length) name += "." + [...element.classList].join(".");
    const path = [];
    for (let up = element.parentElement; up && up !== document.body && path.length < 3;
         up = up.parentElement) {
      path.unshift(up.tagName.toLowerCase() + (up.className ? "." + up.className : ""));
    }
    const text = (element.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60);
    return `${path.join(" > ")} > ${name} "${text}"`;
  };
  const out = [];
  let depth = 0;
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (!box.width) continue;
    const beyond = rtl ? -box.left : box.right - width;
    if (beyond < 1 || clipped(element)) continue;
    depth = 0;
    for (let up = element; up; up = up.parentElement) depth++;
    out.push({beyond: Math.round(beyond), depth, width: Math.round(box.width),
              what: describe(element)});
  }
  out.sort((a, b) => b.beyond - a.beyond || b.depth - a.depth);
  found.culprits = out.slice(0, 3);
  return found;
}
"""


@dataclass(frozen=True)
class Visit:
    name: str  # the route's name
    path: str
    who: str  # of the cast; "anonymous" for nobody signed in


def pick(row) -> str | None:
    """Who of the cast opens the page of `row`: None when the matrix gives nobody a 200."""
    order = (["anonymous"] if row.public else []) + PREFERENCE
    for who in order:
        if expected(row, who, "own", "GET", row.get) is OK:
            return who
    return None


def measured(name: str, row) -> bool:
    """Every page of the site; of the admin (Django's own responsive layout), the pages of this
    project's templates and each model's list. Its generic add, change, delete and history
    pages are left out, for time."""
    return not row.admin or name in ADMIN_PAGES or name.endswith("_changelist")


def url_matrix_visits(world) -> list[Visit]:
    visits = []
    for name, row in ROWS.items():
        if row.get is None or name in NOT_PAGES or not measured(name, row):
            continue
        who = pick(row)
        if who is not None:
            visits.append(Visit(name, url_of(name, row, world, "own"), who))
    home = reverse("home")
    opened_home = {visit.who for visit in visits if visit.name == "home"}
    visits += [Visit("home", home, who) for who in HOME_ROLES if who not in opened_home]
    return visits


def follow_up_visits(followed: dict) -> list[Visit]:
    visits = []
    for name, (address, allowed) in followup.PAGES.items():
        if f"missions:{name}" in NOT_PAGES:
            continue
        people = ["leader", *sorted(allowed)]
        who = next((person for person in people if person in allowed), None)
        if who is not None:
            visits.append(
                Visit(f"missions:{name}", address(followed), FOLLOW_UP_PEOPLE.get(who, who))
            )
    # Of the steps' routes only the edit form has a page (a GET on the others answers 405).
    for name in FOLLOW_UP_FORMS:
        visits.append(Visit(f"missions:{name}", followup.POSTS[name](followed), "leader"))
    return visits


def build_follow_up(cast) -> dict:
    """The follow-up matrix's `followed`: a mission in the country led by the cast's leader, a
    point with evidence, a health plan with a point of its own."""
    mission = make_mission(
        "PAK",
        status="in_country",
        title="Pakistan: a mission in the country, with a long name to wrap on a phone",
        in_country_from=datetime.date(2026, 3, 1),
        in_country_to=datetime.date(2026, 3, 12),
    )
    mission_leader_appoint(mission, cast["leader"])
    member = UserFactory(username="member")
    team_member_grant(Nomination(mission=mission, participant=member))
    owner = UserFactory(username="owner-wash")
    point = followup.opened(mission, cast["leader"], owner)
    progress_post(point, owner, text="Minutes attached.", files=[followup.pdf()])
    plan = plan_create(mission, cast["leader"], followup.health_cluster())
    planned = followup.opened(
        mission, cast["leader"], owner, plan=plan, text="Health cluster's plan."
    )
    return {
        "point": point,
        "planned": planned,
        "plan": plan,
        "evidence": Evidence.objects.get(),
        "people": {"follow_up_member": member, "follow_up_owner": owner},
    }


@pytest.fixture
def layout_world(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    world = build_world()
    mission_leader_appoint(world.places["own"].planned, cast["leader"])
    followed = build_follow_up(cast)
    people = {
        **cast,
        "team_member": world.team_member,
        "invited_focal_point": world.invited_focal_point,
        "staff_pakistan": world.staff_pakistan,
        "coordinator_pakistan": world.coordinator_pakistan,
        "partner_pakistan": world.partner_pakistan,
        **followed["people"],
    }
    return world, followed, people


def session_cookie(user, live_server) -> list[dict]:
    """A session of `user`'s, past the second factor, as a browser's cookie."""
    if user is None:
        return []
    client = Client()
    client.force_login(user)
    value = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return [{"name": django_settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}]


def language_cookie(code: str, live_server) -> list[dict]:
    return [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_server.url}]


def context_for(browser: Browser, user, live_server, **options) -> BrowserContext:
    context = browser.new_context(viewport=PHONE, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(session_cookie(user, live_server))
    return context


def open_page(page: Page, url: str):
    """The response of `url`, or None when it is no page (a download, a file that is no HTML:
    NOT_PAGES should hold them all, this is the safety net)."""
    try:
        response = page.goto(url, wait_until="load")
    except Error as error:
        if "Download is starting" in str(error):
            return None
        raise
    if response is None:
        return None
    if not response.headers.get("content-type", "").startswith("text/html"):
        return None
    return response


def problems_of(found: dict, visit: Visit, language: str) -> list[str]:
    where = f"{visit.path} ({visit.name}, {language}, as {visit.who})"
    problems = []
    if found["scrollWidth"] > found["innerWidth"]:
        culprits = "; ".join(
            f"{culprit['what']} sticks out {culprit['beyond']} px (is {culprit['width']} px wide)"
            for culprit in found["culprits"]
        )
        problems.append(
            f"{where} scrolls sideways: {found['scrollWidth']} px wide in "
            f"{found['innerWidth']} px; widest: {culprits or 'none found'}"
        )
    wanted = "rtl" if language == "ar" else "ltr"
    if found["dir"] != wanted:
        problems.append(f"{where} has dir={found['dir']!r}, not {wanted!r}")
    if visit.who != "anonymous" and found["header"] > HEADER_SHARE * found["innerHeight"]:
        problems.append(
            f"{where}: the header is {found['header']:.0f} px high, more than "
            f"{HEADER_SHARE:.0%} of {found['innerHeight']} px"
        )
    return problems


def weight_problem(found: dict, visit: Visit, load: str) -> str:
    """Over the budget of a `load` ("first": an empty cache; "again", "warm": the stylesheet
    cached). The admin is Django's, with its scripts: its pages have no budget here."""
    if visit.name.startswith("admin:"):
        return ""
    budget = FIRST_LOAD_BUDGET if load == "first" else WARM_LOAD_BUDGET
    if found["bytes"] <= budget:
        return ""
    return (
        f"{visit.path} ({visit.name}, as {visit.who}), {load} load: {found['bytes']} bytes "
        f"transferred, over {budget}: {found['entries']}"
    )


def test_no_page_scrolls_sideways_on_a_phone_in_english_or_arabic_and_each_is_light(
    browser: Browser, live_server, layout_world
):
    """Each person's pages in one context, in English and then in Arabic (the language cookie).
    The first page of a context is a first load (an empty cache), opened a second time (the
    stylesheet cached); every other page is a load with the cache warm."""
    started = time.monotonic()
    world, followed, people = layout_world
    by_person: dict[str, list[Visit]] = {}
    for visit in url_matrix_visits(world) + follow_up_visits(followed):
        by_person.setdefault(visit.who, []).append(visit)

    problems: list[str] = []
    seen: dict[str, set[str]] = {"en": set(), "ar": set()}
    not_200: set[str] = set()
    for who, theirs in by_person.items():
        context = context_for(browser, people.get(who), live_server)
        page = context.new_page()
        first = True
        for language in ("en", "ar"):
            if language == "ar":
                context.add_cookies(language_cookie("ar", live_server))
            for visit in theirs:
                response = open_page(page, f"{live_server.url}{visit.path}")
                if response is None:
                    continue
                if response.status != 200:  # the URL matrix's own test tells why
                    not_200.add(f"{visit.path} ({visit.name}, as {who}): {response.status}")
                    continue
                seen[language].add(visit.name)
                found = page.evaluate(MEASURE)
                if SHOTS:
                    name = f"{visit.name.replace(':', '-')}-{who}-{language}.png"
                    page.screenshot(path=SHOTS / name, full_page=True)
                problems += problems_of(found, visit, language)
                problems.append(weight_problem(found, visit, "first" if first else "warm"))
                if first:
                    page.goto(f"{live_server.url}{visit.path}")
                    problems.append(weight_problem(page.evaluate(MEASURE), visit, "again"))
                    first = False
        context.close()

    problems = [problem for problem in problems if problem]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    # Every page was measured in both languages, and there were pages to measure.
    assert seen["en"] == seen["ar"], f"not measured in both languages: {sorted(not_200)}"
    assert len(seen["en"]) > 60, sorted(seen["en"])
    print(
        f"\n{len(seen['en'])} pages × 2 languages in {time.monotonic() - started:.1f} s; "
        f"not measured, not answering 200: {sorted(not_200) or 'none'}"
    )


def test_the_menu_opens_without_javascript_and_is_always_open_on_a_wide_screen(
    browser: Browser, live_server, cast
):
    user = cast["task_team"]
    context = context_for(browser, user, live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    board = page.get_by_role("link", name="Task Team board")
    log_out = page.get_by_role("button", name="Log out")
    assert not board.is_visible() and not log_out.is_visible()
    page.get_by_text("Menu", exact=True).click()
    assert board.is_visible() and log_out.is_visible()
    if SHOTS:
        page.screenshot(path=SHOTS / "menu-open-en.png")
    context.close()

    context = context_for(browser, user, live_server)
    page = context.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("link", name="Task Team board").is_visible()
    assert not page.get_by_text("Menu", exact=True).is_visible()
    context.close()
