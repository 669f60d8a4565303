"""The URL matrix: every route of the project × the cast × own/other scope, and what each
cell answers. Beside the transition matrix (tests/missions/test_transitions.py), which tells at
the runner "can see but may not act" from "cannot see", this one asks the same of every URL.

What a cell answers:

- 200: the user may see the page.
- 404: the object is outside the user's scope, whether or not it exists; a page that belongs
  to another role is one the user cannot see either.
- 403 with a message: the user sees the mission (and the object the URL names) but may not
  do what the POST asks, and the page says so; also where the form's page is not theirs.
- "acts": a POST the user may make gets through: 200 (the form again, saying what is
  missing), 302 (done, or refused with a message on the next page) or 400 (the election's
  refused form). The cells never submit a complete form: they check who gets through, and
  that a refused POST changes nothing in the database.
- 405: GET on a POST-only endpoint, for anyone signed in.
- anonymous users are sent to the login page (the admin's, in the admin), except on public
  pages.

"own" is a mission of Pakistan, the cast's country; "other" the same for Nepal. Each is taken
to its state through the real transitions, once for the module. "missing" asks for ids that
no object has. The cast is the conftest's, with a member of the team of the mission planned
in Pakistan, a focal point of the cluster invited to it, and a staff user scoped to Pakistan.

The test fails when a route of the resolver has no row, or a row names a route that is gone.
"""

from __future__ import annotations

import copy
import datetime
import html
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode

import polib
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.translation import to_locale
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clusters.models import (
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    Role,
    RoleAssignment,
    RoleChange,
)
from clusters.services import hcss_admin_group, role_grant
from commitments.models import Answer, FrameworkVersion, Round, SelfAssessment
from commitments.selectors.framework import current_version
from commitments.services.assessment import AnswerInput, assessment_save
from commitments.services.rounds import round_open
from missions.models import (
    Attachment,
    Ballot,
    ChecklistItem,
    Election,
    Invitation,
    Lesson,
    Mission,
    Nomination,
    TransitionLog,
)
from missions.services.election import election_open
from missions.services.intake import attachment_add
from missions.services.lessons import lesson_add
from missions.services.mission import mission_transition
from missions.services.permissions import mission_leader_appoint
from missions.services.preparation import briefing_upload
from missions.services.team import team_confirm
from missions.services.tor import tor_start
from reports.models import Delivery, Document, Publication, PublicationStatus
from reports.services.distribution import delivery_token
from tests.factories import UserFactory, make_final_report, make_member, make_mission

User = get_user_model()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MISSING_PK = 999_999

# Outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a cell must answer."""

    label: str
    statuses: tuple[int, ...]
    message: str = ""  # a 403's page must say this
    location: str = ""  # a redirect's target: a path, or "login" / "admin login" (with next)
    gets_through: bool = False  # past every door: never to a login page, may change things

    def problem(self, response, path: str) -> str:
        """Why `response` is not this outcome ("" when it is)."""
        if response.status_code not in self.statuses:
            return f"got {answer(response)}"
        where = response.get("Location", "")
        if self.location in ("login", "admin login"):
            login = reverse("login" if self.location == "login" else "admin:login")
            wanted = f"{login}?{urlencode({'next': path}, safe='/')}"
            if where != wanted:
                return f"got a redirect to {where}, not to {wanted}"
        elif self.location and where != self.location:
            return f"got a redirect to {where}, not to {self.location}"
        if self.gets_through and "/login/?next=" in where:
            return f"got a redirect to {where}"
        if self.message and self.message not in html.unescape(response.content.decode()):
            return f"got a 403 without the message {self.message!r}"
        return ""


OK = Outcome("200", (200,), gets_through=True)
ACTS = Outcome("acts (200, 302 or 400)", (200, 302, 400), gets_through=True)
NOT_FOUND = Outcome("404", (404,))
NOT_ALLOWED = Outcome("405", (405,))
LOGIN = Outcome("the login page", (302,), location="login")
ADMIN_LOGIN = Outcome("the admin's login page", (302,), location="admin login")


def forbidden(message: str) -> Outcome:
    return Outcome(f"403 saying {message!r}", (403,), message=message)


def redirect(path: str) -> Outcome:
    return Outcome(f"a redirect to {path}", (302,), location=path)


# Django's own 403 page, which is what the admin answers for a model permission the user lacks.
ADMIN_FORBIDDEN = forbidden("403 Forbidden")
# The runner's refusal of a step the user may not take (missions.workflow.TransitionNotPermitted).
STEP_REFUSED = "You may not take the step"
# Where the code has no refusal of its own to quote, the page must at least say this.
NO_REFUSAL_OF_ITS_OWN = "You may not"


def answer(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} to {response['Location']}"
    return str(response.status_code)


# The cast and what each holds ------------------------------------------------------------------

CAST = [
    "anonymous",
    "rc_hc_pakistan",
    "rc_hc_nepal",
    "hct_pakistan",
    "hct_nepal",
    "hcss",
    "task_team",
    "gcc",
    "focal_health",
    "cci_gender",
    "leader",
    "outsider",
    # Added here: on the team of the mission planned in Pakistan (an accepted nomination)...
    "team_member",
    # ... a focal point of WASH, the cluster the GCC invited to that mission ...
    "invited_focal_point",
    # ... and the RC/HC of Pakistan with the admin's permissions: staff, its scope still Pakistan.
    "staff_pakistan",
    # For the commitments: the coordinator of Pakistan's health cluster, and the representative
    # of one of its partner organisations.
    "coordinator_pakistan",
    "partner_pakistan",
]

# The permissions on a mission (the README's table of roles), by who holds them and where.
GLOBAL_PERMS = {
    "hcss": {"view", "triage", "cancel"},
    "task_team": {"view", "decide"},
    "gcc": {"view", "plan"},
}
COUNTRY_PERMS = {
    "rc_hc_pakistan": ("own", {"view", "submit", "endorse", "cancel"}),
    "staff_pakistan": ("own", {"view", "submit", "endorse", "cancel"}),
    "hct_pakistan": ("own", {"view", "endorse"}),
    "rc_hc_nepal": ("other", {"view", "submit", "endorse", "cancel"}),
    "hct_nepal": ("other", {"view", "endorse"}),
}
# Mission roles, held on the mission planned in Pakistan only.
PLANNED_MISSION_PERMS = {
    "leader": {"view", "lead"},
    "team_member": {"view", "serve"},
    "invited_focal_point": {"view", "nominate"},
}
ROLES = {
    "anonymous": set(),
    "rc_hc_pakistan": {"rc_hc"},
    "rc_hc_nepal": {"rc_hc"},
    "hct_pakistan": {"hct"},
    "hct_nepal": {"hct"},
    "hcss": {"hcss", "staff"},
    "task_team": {"task_team"},
    "gcc": {"gcc"},
    "focal_health": {"focal_point", "cluster_focal_point"},
    "cci_gender": {"focal_point"},
    "leader": {"served"},
    "outsider": set(),
    "team_member": {"served"},
    "invited_focal_point": {"focal_point", "cluster_focal_point"},
    "staff_pakistan": {"rc_hc", "staff"},
    "coordinator_pakistan": {"coordinator"},
    "partner_pakistan": {"partner"},
}


# On the round of self-assessment of each place's health cluster (rows with mission "round"):
# who sees its picture (the aggregate), reads every submitted answer and coordinates it, and
# reads and gives its own organisation's answers. HCSS and the health focal point see both
# countries' pictures; nobody else sees anything of it.
ROUND_PERMS = {
    "hcss": ("both", {"picture"}),
    "focal_health": ("both", {"picture"}),
    "coordinator_pakistan": ("own", {"picture", "answers", "coordinate"}),
    "partner_pakistan": ("own", {"picture", "own_answers", "answer"}),
}


def round_perms(who: str, scope: str) -> set[str]:
    where, held = ROUND_PERMS.get(who, ("", set()))
    return held if where in ("both", scope) else set()


def perms(who: str, scope: str, mission: str) -> set[str]:
    """What `who` holds on the `mission` ("planned", "draft", ...) of `scope`."""
    if mission == "round":
        return round_perms(who, scope)
    if who in GLOBAL_PERMS:
        # A draft never submitted is its country's alone.
        return set() if mission == "draft" else GLOBAL_PERMS[who]
    if who in COUNTRY_PERMS:
        country, held = COUNTRY_PERMS[who]
        return held if country == scope else set()
    if scope == "own" and mission == "planned":
        return PLANNED_MISSION_PERMS.get(who, set())
    return set()


# Rules: who gets what, from the permissions held on the mission and the roles -----------------

Rule = Callable[[set, set], Outcome]
Audience = Callable[[set, set], bool]


def holding(*codenames: str) -> Audience:
    return lambda held, roles: bool(held & set(codenames))


def having_role(*names: str) -> Audience:
    return lambda held, roles: bool(roles & set(names))


def everyone(held: set, roles: set) -> bool:
    return True


SEES = holding("view")
PLANS = holding("plan")  # the GCC
ORGANISES = holding("plan", "lead")  # the GCC and the leader: the ToR, coverage, logistics
ON_THE_TEAM = holding("serve")
NOMINATES = holding("plan", "nominate")  # the GCC and the invited cluster's focal points
WRITES_LESSONS = holding("plan", "lead", "serve")
ON_THE_BOARD = having_role("task_team", "hcss")  # HCSS reads the board, the Task Team acts


def sees_invitation(held: set, roles: set) -> bool:
    """The GCC and HCSS see every invitation; an invited cluster's focal points see theirs."""
    return "view" in held and ("plan" in held or "hcss" in roles or "nominate" in held)


def sees_nomination(held: set, roles: set) -> bool:
    """As the invitation, and the participant sees their own."""
    return sees_invitation(held, roles) or "serve" in held


def sees_lesson(held: set, roles: set) -> bool:
    """Lessons are for those who organise and run missions; others read their missions'."""
    return bool(roles & {"hcss", "task_team", "gcc", "focal_point", "served"}) or "view" in held


def page(audience: Audience) -> Rule:
    """A page: 200 for its audience, 404 for everyone else."""
    return lambda held, roles: OK if audience(held, roles) else NOT_FOUND


def form(audience: Audience) -> Rule:
    """The POST of a page with no object, which only its audience sees: it acts for them,
    404 for everyone else."""
    return lambda held, roles: ACTS if audience(held, roles) else NOT_FOUND


def action(sees: Audience, may: Audience, refusal: str = "") -> Rule:
    """A POST on something: 404 for who cannot see it; who sees it and may not act gets 403
    with the refusal on the page; the rest get through."""

    def rule(held: set, roles: set) -> Outcome:
        if not sees(held, roles):
            return NOT_FOUND
        return ACTS if may(held, roles) else forbidden(refusal)

    return rule


def always(outcome: Outcome) -> Rule:
    return lambda held, roles: outcome


# Rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One route: how to build its URL, and what each cell answers.

    `mission` names the mission of each scope the URL is about ("planned", "draft",
    "submitted", "on_board"); None for a route with no scope. `kwargs` builds the URL's
    arguments from a scope's objects (a Place), or from the World for a route with no scope.
    `get` is None for a POST-only route (GET is 405); each of `posts` is (data, rule).
    In the admin (`admin`), users who are not staff get `turned_away`.
    """

    mission: str | None = None
    kwargs: Callable = lambda target: {}
    get: Rule | None = None
    posts: tuple[tuple[dict, Rule], ...] = ()
    query: str = ""
    public: bool = False
    admin: bool = False
    turned_away: Outcome = ADMIN_LOGIN


def post(rule: Rule, **data) -> tuple[dict, Rule]:
    return (data, rule)


def planned(place) -> dict:
    return {"pk": place.planned.pk}


def draft(place) -> dict:
    return {"pk": place.draft.pk}


ACCOUNT_ROWS = {
    "home": Row(get=page(everyone)),
    "notifications": Row(get=page(everyone)),
    "notifications_read": Row(posts=(post(always(ACTS)),)),
    "login": Row(public=True, get=page(everyone)),
    "logout": Row(public=True, posts=(post(always(ACTS)),)),
    # The language switcher: anyone, signed in or not (a redirect back to where they were).
    "set_language": Row(public=True, posts=(post(always(ACTS), language="fr", next="/"),)),
    # A link that is not valid (any more) shows the page that says so.
    "password_reset_confirm": Row(
        public=True,
        kwargs=lambda world: {"uidb64": "MA", "token": "no-such-token"},
        get=page(everyone),
    ),
    "password_reset_complete": Row(public=True, get=page(everyone)),
    # The perimeter's pages (tests/clusters/test_second_factor.py and test_login.py tell what
    # they do): anyone's own. The cast's sessions have passed the second factor.
    "password_reset": Row(public=True, get=page(everyone), posts=(post(always(ACTS)),)),
    "password_reset_done": Row(public=True, get=page(everyone)),
    "password_change": Row(get=page(everyone), posts=(post(always(ACTS)),)),
    "password_change_done": Row(get=page(everyone)),
    "security": Row(get=page(everyone)),
    "two_factor_verify": Row(get=page(everyone), posts=(post(always(ACTS)),)),
    "two_factor_setup": Row(get=page(everyone), posts=(post(always(ACTS)),)),
    "two_factor_backup_codes": Row(get=page(everyone), posts=(post(always(ACTS)),)),
    "two_factor_remove": Row(posts=(post(always(ACTS)),)),
}

REQUEST_ROWS = {
    "missions:list": Row(get=page(everyone)),
    "missions:detail": Row("planned", planned, get=page(SEES)),
    # Cancel without a reason: those who may are told the reason is missing.
    "missions:transition": Row(
        "planned",
        lambda place: {"pk": place.planned.pk, "name": "cancel"},
        posts=(post(action(SEES, holding("cancel"), STEP_REFUSED)),),
    ),
    "missions:new": Row(get=page(having_role("rc_hc")), posts=(post(form(having_role("rc_hc"))),)),
    "missions:edit": Row(
        "draft",
        draft,
        get=page(holding("submit")),
        posts=(post(action(SEES, holding("submit"), NO_REFUSAL_OF_ITS_OWN)),),
    ),
    "missions:attachment": Row(
        "draft",
        lambda place: {"pk": place.draft.pk, "attachment_pk": place.attachment.pk},
        get=page(SEES),
    ),
    "missions:attachment_delete": Row(
        "draft",
        lambda place: {"pk": place.draft.pk, "attachment_pk": place.attachment.pk},
        posts=(post(action(SEES, holding("submit"), NO_REFUSAL_OF_ITS_OWN)),),
    ),
    "missions:endorse": Row(
        "draft",
        draft,
        posts=(
            post(
                action(
                    SEES,
                    holding("endorse"),
                    "You may not record the HCT's agreement on this request.",
                )
            ),
        ),
    ),
    "missions:comment": Row("planned", planned, posts=(post(action(SEES, SEES)),)),
    "missions:planning": Row("planned", planned, get=page(SEES)),
}

TOR_REFUSED = "You may not edit these Terms of Reference."
TOR_ROWS = {
    "missions:tor": Row("planned", planned, get=page(SEES)),
    "missions:tor_start": Row(
        "planned", planned, posts=(post(action(SEES, ORGANISES, TOR_REFUSED)),)
    ),
    "missions:tor_save": Row(
        "planned", planned, posts=(post(action(SEES, ORGANISES, TOR_REFUSED)),)
    ),
    "missions:tor_final": Row(
        "planned", planned, posts=(post(action(SEES, ORGANISES, TOR_REFUSED)),)
    ),
    "missions:tor_version": Row(
        "planned", lambda place: {"pk": place.planned.pk, "number": 1}, get=page(SEES)
    ),
}

# The report's text and its list: the planned mission has a report and one address (set up
# directly); writing it waits for the reporting, so those who may act are told so (302).
REPORT_WRITERS_ONLY = "Only the mission's leader and its team write the report."
REPORT_LEADER_ONLY = "Only the mission leader marks the report final."
LIST_KEEPERS_ONLY = "Only the mission leader and HCSS keep the distribution list."
WRITES_REPORT = holding("lead", "serve")
KEEPS_LIST = holding("lead", "triage")
REPORT_ROWS = {
    "missions:report": Row("planned", planned, get=page(SEES)),
    "missions:report_start": Row(
        "planned", planned, posts=(post(action(SEES, WRITES_REPORT, REPORT_WRITERS_ONLY)),)
    ),
    "missions:report_save": Row(
        "planned", planned, posts=(post(action(SEES, WRITES_REPORT, REPORT_WRITERS_ONLY)),)
    ),
    "missions:report_final": Row(
        "planned", planned, posts=(post(action(SEES, holding("lead"), REPORT_LEADER_ONLY)),)
    ),
    "missions:report_version": Row(
        "planned", lambda place: {"pk": place.planned.pk, "number": 1}, get=page(SEES)
    ),
    "missions:recipient_add": Row(
        "planned", planned, posts=(post(action(SEES, KEEPS_LIST, LIST_KEEPERS_ONLY)),)
    ),
    "missions:recipient_remove": Row(
        "planned",
        lambda place: {
            "pk": place.planned.pk,
            "recipient_pk": place.planned.report_recipients.order_by("pk").first().pk,
        },
        posts=(post(action(SEES, KEEPS_LIST, LIST_KEEPERS_ONLY)),),
    ),
}


def invitation(place) -> dict:
    return {"pk": place.planned.pk, "invitation_pk": place.invitation.pk}


def nomination(place) -> dict:
    return {"pk": place.planned.pk, "nomination_pk": place.nomination.pk}


TEAM_ROWS = {
    "missions:invitations": Row(
        "planned",
        planned,
        get=page(sees_invitation),
        posts=(
            post(action(sees_invitation, PLANS, "Only the GCC invites clusters to a mission.")),
        ),
    ),
    "missions:invitation": Row(
        "planned",
        invitation,
        get=page(sees_invitation),
        posts=(post(action(sees_invitation, NOMINATES, "You may not share this invitation.")),),
    ),
    "missions:nomination_new": Row(
        "planned",
        planned,
        get=page(NOMINATES),
        posts=(post(action(SEES, NOMINATES, "You may not nominate through this invitation.")),),
    ),
    "missions:nomination": Row("planned", nomination, get=page(sees_nomination)),
    "missions:nomination_decide": Row(
        "planned",
        nomination,
        posts=(post(action(sees_nomination, PLANS, "Only the GCC decides on nominations.")),),
    ),
    # The GCC is asked first, on a page of its own, for the reason.
    "missions:nomination_withdraw": Row(
        "planned",
        nomination,
        get=page(PLANS),
        posts=(post(action(sees_nomination, PLANS, "You may not withdraw this nomination.")),),
    ),
    # The participant has not set a password yet: the GCC may send a new link.
    "missions:nomination_account_invitation": Row(
        "planned",
        nomination,
        posts=(post(action(sees_nomination, PLANS, "You may not send this person a new link.")),),
    ),
    "missions:team": Row("planned", planned, get=page(SEES)),
    "missions:team_confirm": Row(
        "planned", planned, posts=(post(action(SEES, PLANS, "Only the GCC confirms the team.")),)
    ),
}

GCC_ONLY = "Only the GCC opens and closes the election."
MEMBERS_ONLY = "Only the members of the mission's team stand and vote."
ELECTION_ROWS = {
    "missions:election": Row("planned", planned, get=page(SEES)),
    "missions:election_open": Row("planned", planned, posts=(post(action(SEES, PLANS, GCC_ONLY)),)),
    "missions:election_extend": Row(
        "planned", planned, posts=(post(action(SEES, PLANS, GCC_ONLY)),)
    ),
    "missions:election_agree": Row(
        "planned", planned, posts=(post(action(SEES, PLANS, GCC_ONLY)),)
    ),
    "missions:election_stand": Row(
        "planned", planned, posts=(post(action(SEES, ON_THE_TEAM, MEMBERS_ONLY)),)
    ),
    "missions:election_withdraw": Row(
        "planned", planned, posts=(post(action(SEES, ON_THE_TEAM, MEMBERS_ONLY)),)
    ),
    "missions:election_vote": Row(
        "planned", planned, posts=(post(action(SEES, ON_THE_TEAM, MEMBERS_ONLY)),)
    ),
    "missions:election_close": Row(
        "planned", planned, posts=(post(action(SEES, PLANS, GCC_ONLY)),)
    ),
}


def issue(place) -> dict:
    return {"pk": place.planned.pk, "issue_pk": place.issue.pk}


ORGANISERS_ONLY = "Only the GCC and the mission leader change this."
PREPARATION_ROWS = {
    "missions:issues": Row("planned", planned, get=page(SEES)),
    "missions:issue_coverage": Row(
        "planned",
        issue,
        get=page(SEES),
        posts=(
            post(action(SEES, ORGANISES, ORGANISERS_ONLY), action="coverage"),
            post(
                action(
                    SEES, PLANS, "Only the issue's focal points and the GCC upload its briefing."
                ),
                action="upload",
            ),
        ),
    ),
    "missions:briefing": Row("planned", issue, get=page(SEES)),
    "missions:logistics": Row(
        "planned",
        planned,
        get=page(SEES),
        posts=(post(action(SEES, ORGANISES, ORGANISERS_ONLY), action="dates"),),
    ),
}


def on_board(place) -> dict:
    return {"pk": place.on_board.pk}


TASK_TEAM = having_role("task_team")
BOARD_ROWS = {
    "task_team:board": Row(get=page(ON_THE_BOARD)),
    "task_team:request": Row("on_board", on_board, get=page(ON_THE_BOARD)),
    "task_team:score": Row(
        "on_board",
        on_board,
        posts=(post(action(ON_THE_BOARD, TASK_TEAM, "Only Task Team members score requests.")),),
    ),
    "task_team:rank": Row(
        "on_board",
        on_board,
        posts=(
            post(action(ON_THE_BOARD, TASK_TEAM, "Only Task Team members adjust the ranking.")),
        ),
    ),
    "task_team:decide": Row(
        "on_board", on_board, posts=(post(action(ON_THE_BOARD, TASK_TEAM, STEP_REFUSED)),)
    ),
}

LESSON_ROWS = {
    "lessons:list": Row(get=page(everyone)),
    "lessons:detail": Row(
        "planned", lambda place: {"lesson_pk": place.lesson.pk}, get=page(sees_lesson)
    ),
    "lessons:new": Row(
        "planned",
        planned,
        get=page(WRITES_LESSONS),
        posts=(post(action(SEES, WRITES_LESSONS, NO_REFUSAL_OF_ITS_OWN)),),
    ),
}

DOCUMENT_ROWS = {
    # Whoever sees the mission may ask for the PDF of its ToR.
    "reports:tor": Row(
        "planned",
        lambda place: {"mission_pk": place.planned.pk},
        get=page(SEES),
        posts=(post(action(SEES, SEES)),),
    ),
    # ... and for the PDF of its report (the mission planned has none yet: whoever sees it is
    # told so on the page) ...
    "reports:report": Row(
        "planned",
        lambda place: {"mission_pk": place.planned.pk},
        get=page(SEES),
        posts=(post(action(SEES, SEES), kind="report"),),
    ),
    # ... and sees its follow-up status reports; only its leader makes one.
    "reports:followup_status": Row(
        "planned",
        lambda place: {"mission_pk": place.planned.pk},
        get=page(SEES),
        posts=(
            post(
                action(
                    SEES,
                    holding("lead"),
                    "Only the mission's leader makes a follow-up status report.",
                )
            ),
        ),
    ),
    "reports:download": Row("planned", lambda place: {"pk": place.document.pk}, get=page(SEES)),
}


def refused_page(sees: Audience, may: Audience, refusal: str) -> Rule:
    """A page only some of those who see the mission may see: the others get 403 with the
    refusal, who cannot see the mission 404."""

    def rule(held: set, roles: set) -> Outcome:
        if not sees(held, roles):
            return NOT_FOUND
        return OK if may(held, roles) else forbidden(refusal)

    return rule


def mission_pk(place) -> dict:
    return {"mission_pk": place.planned.pk}


# The leader and HCSS keep the distribution and follow the publication; the leader publishes.
# (The mission planned is not distributed: their POSTs are refused with a message, a 302.)
KEEPS_DISTRIBUTION = holding("lead", "triage")
DISTRIBUTION_REFUSED = "Only the mission's leader and HCSS"
DISTRIBUTION_ROWS = {
    "reports:distribution": Row(
        "planned",
        mission_pk,
        get=refused_page(SEES, KEEPS_DISTRIBUTION, DISTRIBUTION_REFUSED),
        posts=(
            post(action(SEES, KEEPS_DISTRIBUTION, DISTRIBUTION_REFUSED)),
            post(action(SEES, KEEPS_DISTRIBUTION, DISTRIBUTION_REFUSED), resend="1"),
        ),
    ),
    "reports:publication": Row(
        "planned",
        mission_pk,
        get=refused_page(SEES, KEEPS_DISTRIBUTION, "Only the mission's leader and HCSS follow"),
        posts=(
            post(
                # HCSS is told only the leader publishes; the others, that the page is not theirs.
                action(SEES, holding("lead"), "Only the mission's leader"),
                action="publish",
            ),
        ),
    ),
    # A recipient's personal link, with no login: a genuine one serves the PDF to whoever
    # holds it (a foreign or expired one is tests/reports/test_distribution.py's).
    "reports:delivery": Row(
        public=True,
        kwargs=lambda world: {"token": delivery_token(world.places["own"].delivery)},
        get=page(everyone),
    ),
}


def publication(place) -> dict:
    return {"pk": place.publication.pk}


# Published reports, for anyone (each place's is published; a withdrawn or unpublished one is
# a 404, tests/reports/test_public.py's).
PUBLIC_ROWS = {
    "public:list": Row(public=True, get=page(everyone)),
    "public:feed": Row(public=True, get=page(everyone)),
    "public:detail": Row("planned", publication, public=True, get=page(everyone)),
    "public:pdf": Row("planned", publication, public=True, get=page(everyone)),
}


def round_of(place) -> dict:
    return {"pk": place.commitments.round.pk}


def cluster_of(place) -> dict:
    return {"pk": place.commitments.round.country_cluster_id}


SEES_PICTURE = holding("picture")
COORDINATES = holding("coordinate")
OPENS_ASSESSMENT = holding("answers", "own_answers")
ANSWERS_FOR_IT = holding("answer")
OWN_ORGANISATION = holding("own_answers")
LOOKS_ACROSS = having_role("hcss", "cluster_focal_point")
COORDINATOR_ONLY = "Only the cluster's coordinator"
COMMITMENTS_ROWS = {
    "commitments:index": Row(get=page(everyone)),
    "commitments:framework": Row(get=page(everyone)),
    "commitments:across": Row(get=page(LOOKS_ACROSS)),
    "commitments:cluster": Row("round", cluster_of, get=page(SEES_PICTURE)),
    # The form's page too is the coordinator's; the empty form comes back (400).
    "commitments:round_new": Row(
        "round",
        cluster_of,
        get=action(SEES_PICTURE, COORDINATES, COORDINATOR_ONLY),
        posts=(post(action(SEES_PICTURE, COORDINATES, COORDINATOR_ONLY)),),
    ),
    "commitments:round": Row("round", round_of, get=page(SEES_PICTURE)),
    "commitments:round_csv": Row("round", round_of, get=page(SEES_PICTURE)),
    "commitments:round_xlsx": Row("round", round_of, get=page(SEES_PICTURE)),
    "commitments:round_close": Row(
        "round", round_of, posts=(post(action(SEES_PICTURE, COORDINATES, COORDINATOR_ONLY)),)
    ),
    "commitments:action_new": Row(
        "round", round_of, posts=(post(action(SEES_PICTURE, COORDINATES, COORDINATOR_ONLY)),)
    ),
    # The partner's draft: its coordinator opens it (its answers show once submitted); the
    # partner saves it (an empty draft, 302).
    "commitments:assessment": Row(
        "round",
        lambda place: {"pk": place.commitments.assessment.pk},
        get=page(OPENS_ASSESSMENT),
        posts=(
            post(
                action(
                    OPENS_ASSESSMENT,
                    ANSWERS_FOR_IT,
                    "Only the organisation's representatives answer for it.",
                ),
                save="1",
            ),
        ),
    ),
    "commitments:evidence": Row(
        "round", lambda place: {"pk": place.commitments.answer.pk}, get=page(OWN_ORGANISATION)
    ),
}

# The admin ------------------------------------------------------------------------------------
# Only staff get past the admin's door; the rules below are for them (hcss, staff_pakistan).

ADMIN_SITE_ROWS = {
    "admin:index": Row(admin=True, get=always(OK)),
    "admin:login": Row(
        admin=True,
        public=True,
        get=lambda held, roles: redirect("/admin/") if "staff" in roles else OK,
    ),
    "admin:logout": Row(admin=True, turned_away=redirect("/admin/"), posts=(post(always(ACTS)),)),
    "admin:password_change": Row(admin=True, get=always(OK)),
    "admin:password_change_done": Row(admin=True, get=always(OK)),
    "admin:autocomplete": Row(
        admin=True,
        query="app_label=missions&model_name=mission&field_name=parent&term=",
        get=always(OK),
    ),
    "admin:jsi18n": Row(admin=True, get=always(OK)),
    # No model of the admin has a page on the site to link to.
    "admin:view_on_site": Row(
        "planned",
        lambda place: {
            "content_type_id": str(ContentType.objects.get_for_model(Mission).pk),
            "object_id": place.planned.pk,
        },
        admin=True,
        get=always(NOT_FOUND),
    ),
    "admin:app_list": Row(
        admin=True, kwargs=lambda world: {"app_label": "missions"}, get=always(OK)
    ),
    "admin:missions_dashboard": Row(admin=True, get=always(OK)),
    "admin:missions_mission_transition": Row(
        "planned",
        lambda place: {"pk": place.planned.pk, "name": "cancel"},
        admin=True,
        posts=(post(action(SEES, holding("cancel"), STEP_REFUSED)),),
    ),
    "admin:missions_triagerequest_transition": Row(
        "submitted",
        lambda place: {"pk": place.submitted.pk, "name": "start_triage"},
        admin=True,
        posts=(post(action(SEES, holding("triage"), STEP_REFUSED)),),
    ),
    "admin:auth_user_password_change": Row(
        admin=True, kwargs=lambda world: {"id": world.user.pk}, get=always(ADMIN_FORBIDDEN)
    ),
    # django-otp's pages of a device's secret: never in the admin (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    **{
        f"admin:otp_totp_totpdevice_{view}": Row(
            admin=True, kwargs=lambda world: {"pk": world.user.pk}, get=always(ADMIN_FORBIDDEN)
        )
        for view in ("config", "qrcode")
    },
}


@dataclass(frozen=True)
class AdminModel:
    """A registered model, and what its pages answer staff who see the object.

    `place` gives the object of a scope for models scoped by their mission (`mission`);
    `reference` the one object of reference data, which has no scope.
    """

    place: Callable | None = None
    reference: Callable | None = None
    mission: str = "planned"
    changelist: Outcome = OK
    add: Outcome = ADMIN_FORBIDDEN
    change: Outcome = OK
    delete: Outcome = ADMIN_FORBIDDEN
    history: Outcome = OK
    # Who of the staff get past the model's own permissions (None: all of them); the others
    # get the admin's 403. And what the staff must hold on the object's scope to find it.
    staff: Audience | None = None
    sees: str = "view"


ADMIN_MODELS = {
    # Requests come from the site: the admin is not a second writer of missions.
    "missions_mission": AdminModel(place=lambda place: place.planned),
    "missions_triagerequest": AdminModel(place=lambda place: place.submitted, mission="submitted"),
    "missions_transitionlog": AdminModel(place=lambda place: place.log),
    "missions_invitation": AdminModel(place=lambda place: place.invitation),
    "missions_nomination": AdminModel(place=lambda place: place.nomination),
    "missions_election": AdminModel(place=lambda place: place.election),
    "missions_ballot": AdminModel(place=lambda place: place.ballot),
    # HCSS may take down a lesson that should not be shared.
    "missions_lesson": AdminModel(place=lambda place: place.lesson, delete=OK),
    "missions_checklistitem": AdminModel(reference=lambda world: world.checklist_item, add=OK),
    "reports_document": AdminModel(place=lambda place: place.document),
    # Read-only, scoped by the mission like the documents.
    "reports_delivery": AdminModel(place=lambda place: place.delivery),
    "reports_publication": AdminModel(place=lambda place: place.publication),
    "clusters_country": AdminModel(reference=lambda world: world.country, add=OK, delete=OK),
    "clusters_organisation": AdminModel(
        reference=lambda world: world.organisation, add=OK, delete=OK
    ),
    "clusters_globalcluster": AdminModel(
        reference=lambda world: world.global_cluster, add=OK, delete=OK
    ),
    "clusters_crosscuttingissue": AdminModel(
        reference=lambda world: world.issue, add=OK, delete=OK
    ),
    "clusters_countrycluster": AdminModel(
        reference=lambda world: world.country_cluster, add=OK, delete=OK
    ),
    # Granted by adding, revoked by deleting; never changed (the change page only shows it).
    "clusters_roleassignment": AdminModel(
        reference=lambda world: world.role_assignment, add=OK, delete=OK
    ),
    # The log of every grant and revoke: read, never changed.
    "clusters_rolechange": AdminModel(reference=lambda world: world.role_change),
    "auth_user": AdminModel(reference=lambda world: world.user),
    # The commitments' admin is HCSS's, by its role: the framework's versions (the one the
    # rounds use is read-only, never deleted) and the rounds, read-only.
    "commitments_frameworkversion": AdminModel(
        reference=lambda world: world.framework, add=OK, staff=having_role("hcss")
    ),
    "commitments_round": AdminModel(
        place=lambda place: place.commitments.round,
        mission="round",
        staff=having_role("hcss"),
        sees="picture",
    ),
    # HCSS's admin permissions do not include groups: roles are granted, groups follow.
    "auth_group": AdminModel(
        reference=lambda world: world.group,
        changelist=ADMIN_FORBIDDEN,
        change=ADMIN_FORBIDDEN,
        history=ADMIN_FORBIDDEN,
    ),
    # The audit log is HCSS's to read, in its list: an event has no page to change or delete it.
    "clusters_auditevent": AdminModel(
        reference=lambda world: apps.get_model("clusters", "AuditEvent").objects.earliest("pk"),
        change=ADMIN_FORBIDDEN,
        staff=having_role("hcss"),
    ),
    # The perimeter's records are the superuser's: login attempts and logs (django-axes: unlock
    # an account by deleting its attempt) and second-factor devices (django-otp: take a lost
    # phone away). HCSS's staff get the admin's 403 on every page of them.
    **{
        name: AdminModel(
            reference=record,
            changelist=ADMIN_FORBIDDEN,
            change=ADMIN_FORBIDDEN,
            history=ADMIN_FORBIDDEN,
        )
        for name, record in {
            "axes_accessattempt": lambda world: perimeter_record(AccessAttempt, world),
            "axes_accesslog": lambda world: perimeter_record(AccessLog, world),
            "axes_accessfailurelog": lambda world: perimeter_record(AccessFailureLog, world),
            "otp_totp_totpdevice": lambda world: perimeter_record(TOTPDevice, world),
            "otp_static_staticdevice": lambda world: perimeter_record(StaticDevice, world),
        }.items()
    },
}


def perimeter_record(model, world):
    """A row of one of the perimeter's models, made in the test's transaction (the world is
    built before them): a login attempt or log of the world's user, or a device of theirs."""
    if model in (TOTPDevice, StaticDevice):
        return model.objects.get_or_create(user=world.user, name="In the URL matrix")[0]
    fields = {"username": world.user.username, "ip_address": "192.0.2.1", "user_agent": "matrix"}
    if model is AccessAttempt:
        fields.update(get_data="", post_data="", failures_since_start=1)
    return model.objects.get_or_create(
        **fields, defaults={"http_accept": "", "path_info": "/login/"}
    )[0]


def admin_model_rule(model: AdminModel, outcome: Outcome) -> Rule:
    """`outcome`, for the staff the model lets in; the admin's 403 for the other staff."""
    if model.staff is None:
        return always(outcome)
    return lambda held, roles: outcome if model.staff(held, roles) else ADMIN_FORBIDDEN


def admin_object_rule(model: AdminModel, outcome: Outcome) -> Rule:
    rule = admin_model_rule(model, outcome)
    if model.place is None:
        return rule
    return lambda held, roles: rule(held, roles) if model.sees in held else NOT_FOUND


def admin_model_rows() -> dict[str, Row]:
    rows = {}
    for name, model in ADMIN_MODELS.items():
        rows[f"admin:{name}_changelist"] = Row(
            admin=True, get=admin_model_rule(model, model.changelist)
        )
        rows[f"admin:{name}_add"] = Row(admin=True, get=admin_model_rule(model, model.add))
        for view in ("change", "delete", "history"):
            rule = admin_object_rule(model, getattr(model, view))
            if model.place is not None:
                place = model.place
                rows[f"admin:{name}_{view}"] = Row(
                    model.mission,
                    lambda target, place=place: {"object_id": place(target).pk},
                    admin=True,
                    get=rule,
                )
            else:
                reference = model.reference
                rows[f"admin:{name}_{view}"] = Row(
                    kwargs=lambda world, reference=reference: {"object_id": reference(world).pk},
                    admin=True,
                    get=rule,
                )
    return rows


ADMIN_MODEL_ROWS = admin_model_rows()

FAMILIES = {
    "accounts": ACCOUNT_ROWS,
    "requests": REQUEST_ROWS,
    "tor": TOR_ROWS,
    "report": REPORT_ROWS,
    "team": TEAM_ROWS,
    "election": ELECTION_ROWS,
    "preparation": PREPARATION_ROWS,
    "task team board": BOARD_ROWS,
    "lessons": LESSON_ROWS,
    "commitments": COMMITMENTS_ROWS,
    "documents": DOCUMENT_ROWS,
    "reports distribution": DISTRIBUTION_ROWS,
    "reports public": PUBLIC_ROWS,
    "admin site": ADMIN_SITE_ROWS,
    "admin models": ADMIN_MODEL_ROWS,
}
ROWS = {name: row for rows in FAMILIES.values() for name, row in rows.items()}

# Routes with no row, and why.
# The follow-up's routes (missions/urls/followup.py).
FOLLOW_UP_ROUTES = {
    "tracker",
    "tracker_mission",
    "my_points",
    "action_point",
    "action_point_new",
    "action_point_edit",
    "action_point_transition",
    "action_point_progress",
    "evidence",
    "plan",
    "plan_new",
    "plan_comment",
    "points_carry",
    "points_open_all",
    "tracker_csv",
    "tracker_xlsx",
    "calendar",
    "calendar_settings",
}

EXCLUDED = {
    **{
        f"admin/{'/'.join(name.rsplit('_', 1))}/<path:object_id>/": (
            "unnamed: redirects to the change page without reading the object; the change "
            "page's row covers it"
        )
        for name in ADMIN_MODELS
    },
    "admin/(?P<url>.*)$": "unnamed: the admin's catch-all for URLs it does not know",
    # The follow-up's routes have their rows in its own matrix, over the same cast and the
    # two scopes: tests/missions/test_followup_pages.py (PAGES, POSTS and the calendar's own
    # tests); `test_the_follow_up_rows_are_in_its_matrix` below holds the two lists equal.
    **{f"missions:{name}": "row in the follow-up matrix" for name in FOLLOW_UP_ROUTES},
}
# There are no static, media or debug routes to exclude: WhiteNoise serves the static files
# from its middleware, and uploads are private, served only by the views above.


def test_the_follow_up_rows_are_in_its_matrix():
    from tests.missions import test_followup_pages as followup

    assert set(followup.PAGES) | set(followup.POSTS) | followup.OWN_TESTS == FOLLOW_UP_ROUTES


def routes() -> dict[str, str]:
    """Every route of the resolver: its name ("namespace:name") or, unnamed, its pattern."""
    found = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            pattern = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry, pattern, inner)
            elif isinstance(entry, URLPattern):
                key = f"{namespace}{entry.name}" if entry.name else pattern
                found[key] = pattern

    walk(get_resolver(), "", "")
    return found


def test_every_route_has_a_row_and_every_row_a_route():
    found = set(routes())
    listed = set(ROWS) | set(EXCLUDED)
    assert not found - listed, f"routes with no row in the URL matrix: {sorted(found - listed)}"
    assert not listed - found, f"rows for routes that are gone: {sorted(listed - found)}"


def test_every_model_in_the_admin_has_rows():
    registered = {
        f"{model._meta.app_label}_{model._meta.model_name}" for model in admin.site._registry
    }
    assert not registered - set(ADMIN_MODELS), f"no row: {sorted(registered - set(ADMIN_MODELS))}"
    assert not set(ADMIN_MODELS) - registered, f"gone: {sorted(set(ADMIN_MODELS) - registered)}"


# The world: what each scope holds, built once through the services -----------------------------


@dataclass
class Place:
    """What one country holds: a request in draft, one submitted, one on the Task Team's
    board, and a mission in planning with its ToR, team, election, preparation, a lesson and
    the PDF of its ToR."""

    draft: Mission
    attachment: Attachment
    submitted: Mission
    on_board: Mission
    planned: Mission
    issue: CrossCuttingIssue
    invitation: Invitation
    nomination: Nomination
    election: Election
    ballot: Ballot
    lesson: Lesson
    document: Document
    log: TransitionLog
    delivery: Delivery
    publication: Publication
    commitments: CommitmentsPlace | None = None  # set by build_world


@dataclass
class World:
    """Both places, the users the cast gets beside the conftest's, and the reference data
    the admin's rows open."""

    places: dict[str, Place]
    team_member: User
    invited_focal_point: User
    staff_pakistan: User
    country: Country
    organisation: Organisation
    global_cluster: GlobalCluster
    issue: CrossCuttingIssue
    country_cluster: CountryCluster
    role_assignment: RoleAssignment
    role_change: RoleChange
    checklist_item: ChecklistItem
    user: User
    group: Group
    coordinator_pakistan: User | None = None
    partner_pakistan: User | None = None
    framework: FrameworkVersion | None = None


def setup_user(username: str, role: str, **scope) -> User:
    user = UserFactory(username=username)
    role_grant(user, role, **scope)
    return user


def take(mission: Mission, steps: list[tuple[str, User]]) -> None:
    """Take `steps` through the runner, each with its after-commit effects (the notices, the
    decision communicated) run as they would be in production."""
    for name, user in steps:
        with TestCase.captureOnCommitCallbacks(execute=True):
            mission_transition(mission, name, user)


def build_place(country: Country, actors: dict[str, User], cluster: str, member: str) -> Place:
    rc_hc, hcss, gcc = actors[country.code], actors["hcss"], actors["gcc"]
    triage = [("submit", rc_hc), ("start_triage", hcss), ("forward", hcss)]
    environment = CrossCuttingIssue.objects.get(code="environment")

    request = make_mission(country.code, title=f"{country}: a request in draft")
    attachment = attachment_add(
        request,
        rc_hc,
        SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf"),
        Attachment.Kind.HCT_MINUTES,
    )
    submitted = make_mission(country.code, title=f"{country}: a request submitted")
    take(submitted, triage[:1])
    on_board = make_mission(country.code, title=f"{country}: a request on the board")
    take(on_board, triage)

    mission = make_mission(country.code, title=f"{country}: a mission in planning")
    mission.requested_issues.add(environment)
    take(mission, [*triage, ("approve", actors["task_team"]), ("start_planning", gcc)])
    tor_start(mission, gcc)
    accepted = make_member(mission, member, cluster=cluster)
    # New to ICSM: no password yet, so the GCC may send a new link to set one.
    accepted.participant.set_unusable_password()
    accepted.participant.save()
    # Two more, so that the team is large enough for a secret ballot.
    for other in ("2", "3"):
        make_member(mission, f"{member}-{other}", cluster=cluster)
    with TestCase.captureOnCommitCallbacks(execute=True):
        team_confirm(mission, gcc)
        election = election_open(mission, gcc)
    briefing_upload(
        mission,
        gcc,
        environment,
        SimpleUploadedFile("briefing.pdf", PDF, content_type="application/pdf"),
    )
    lesson = lesson_add(
        mission,
        accepted.participant,
        kind=Lesson.Kind.LESSON,
        title="Meet the district clusters first",
        text="The district clusters knew what the capital did not.",
    )
    # The report's version 1 and one address on its list, for the report's rows.
    make_final_report(mission)
    document = Document.objects.create(
        mission=mission,
        kind=Document.Kind.TOR,
        source_version=1,
        status=Document.Status.READY,
        file=ContentFile(PDF, name="tor.pdf"),
        requested_by=gcc,
    )
    # As if its report had gone out and been published (set up directly, with the ToR's PDF).
    delivery = Delivery.objects.create(
        mission=mission, email="desk@example.org", name="A desk", version=1, document=document
    )
    published = Publication.objects.create(
        mission=mission,
        status=PublicationStatus.PUBLISHED,
        version=1,
        document=document,
        summary="What the mission found.",
        year=2025,
        published_at=timezone.now(),
    )
    return Place(
        draft=request,
        attachment=attachment,
        submitted=submitted,
        on_board=on_board,
        planned=mission,
        issue=environment,
        invitation=accepted.invitation,
        nomination=accepted,
        election=election,
        ballot=election.ballots.get(member=accepted),
        lesson=lesson,
        document=document,
        log=mission.log.get(transition="submit"),
        delivery=delivery,
        publication=published,
    )


@dataclass
class CommitmentsPlace:
    """The open round of self-assessment of the country's health cluster, with one partner's
    draft holding an evidence file."""

    round: Round
    assessment: SelfAssessment
    answer: Answer


def build_commitments_place(country: Country, coordinator: User, partner: User) -> CommitmentsPlace:
    cluster, _ = CountryCluster.objects.get_or_create(
        country=country, global_cluster=GlobalCluster.objects.get(code="health")
    )
    partners = [
        Organisation.objects.create(name=f"{country} health partner {n}", kind="ngo")
        for n in (1, 2, 3)
    ]
    cluster.partners.add(*partners)
    role_grant(coordinator, Role.CLUSTER_COORDINATOR, country_cluster=cluster)
    role_grant(
        partner, Role.PARTNER_REPRESENTATIVE, country_cluster=cluster, organisation=partners[0]
    )
    today = datetime.date.today()
    with TestCase.captureOnCommitCallbacks(execute=True):
        round_ = round_open(
            cluster,
            coordinator,
            framework=current_version(),
            period_start=today - datetime.timedelta(days=180),
            period_end=today,
            closes_on=today + datetime.timedelta(days=30),
            organisations=partners,
        )
    assessment = round_.assessments.get(organisation=partners[0])
    item = round_.framework.items.filter(kind="commitment").order_by("number").first()
    evidence = SimpleUploadedFile("minutes.pdf", PDF, content_type="application/pdf")
    assessment_save(
        assessment, partner, answers={item.pk: AnswerInput(rating="met", file=evidence)}
    )
    return CommitmentsPlace(
        round_, assessment, Answer.objects.get(assessment=assessment, item=item)
    )


def build_world() -> World:
    pakistan, nepal = Country.objects.get(code="PAK"), Country.objects.get(code="NPL")
    wash = GlobalCluster.objects.get(code="wash")
    # The set-up is done by users outside the cast, so that the cast holds only its roles.
    actors = {
        "PAK": setup_user("setup-rchc-pak", Role.RC_HC, country=pakistan),
        "NPL": setup_user("setup-rchc-npl", Role.RC_HC, country=nepal),
        "hcss": setup_user("setup-hcss", Role.HCSS),
        "task_team": setup_user("setup-taskteam", Role.TASK_TEAM),
        "gcc": setup_user("setup-gcc", Role.GCC),
    }
    places = {
        # WASH is invited to the mission of Pakistan; its team member comes through WASH.
        "own": build_place(pakistan, actors, "wash", "team-member"),
        "other": build_place(nepal, actors, "shelter", "member-nepal"),
    }
    coordinator_pakistan = UserFactory(username="coord-health-pak")
    partner_pakistan = UserFactory(username="partner-health-pak")
    places["own"].commitments = build_commitments_place(
        pakistan, coordinator_pakistan, partner_pakistan
    )
    places["other"].commitments = build_commitments_place(
        nepal, UserFactory(username="setup-coord-npl"), UserFactory(username="setup-partner-npl")
    )
    staff_pakistan = setup_user("staff-pak", Role.RC_HC, country=pakistan)
    staff_pakistan.is_staff = True
    staff_pakistan.save()
    staff_pakistan.groups.add(hcss_admin_group())
    country_cluster, _ = CountryCluster.objects.get_or_create(country=pakistan, global_cluster=wash)
    return World(
        places=places,
        team_member=places["own"].nomination.participant,
        invited_focal_point=setup_user("focal-wash", Role.CLUSTER_FOCAL_POINT, global_cluster=wash),
        staff_pakistan=staff_pakistan,
        country=pakistan,
        organisation=Organisation.objects.get(acronym="WHO"),
        global_cluster=wash,
        issue=places["own"].issue,
        country_cluster=country_cluster,
        role_assignment=RoleAssignment.objects.get(user=actors["PAK"]),
        role_change=RoleChange.objects.filter(user=actors["PAK"]).first(),
        checklist_item=ChecklistItem.objects.order_by("pk").first(),
        user=actors["PAK"],
        group=actors["PAK"].groups.first(),
        coordinator_pakistan=coordinator_pakistan,
        partner_pakistan=partner_pakistan,
        framework=places["own"].commitments.round.framework,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:
    """Built once for the module, in a transaction rolled back at its end; each test then
    runs in a savepoint of it, and each cell in a savepoint of the test."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            yield build_world()
            transaction.set_rollback(True)


@pytest.fixture
def users(cast, world) -> dict[str, User | None]:
    """The cast of the conftest, with its leader leading the mission planned in Pakistan,
    and the users added here (the commitments' coordinator and partner among them)."""
    mission_leader_appoint(world.places["own"].planned, cast["leader"])
    return {
        "anonymous": None,
        **cast,
        "team_member": world.team_member,
        "invited_focal_point": world.invited_focal_point,
        "staff_pakistan": world.staff_pakistan,
        "coordinator_pakistan": world.coordinator_pakistan,
        "partner_pakistan": world.partner_pakistan,
    }


# Running the cells ----------------------------------------------------------------------------

TRACKED_APPS = ("clusters", "commitments", "missions", "reports")


def tracked_tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for label in TRACKED_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
            if not model._meta.proxy
        }
    )


def snapshot() -> list[list[tuple]]:
    """Every row of the project's own tables (read in plain SQL: it is read after every
    refused POST): a refused POST must leave them as they were."""
    with connection.cursor() as cursor:
        rows = []
        for table in tracked_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            rows.append(cursor.fetchall())
    return rows


def missing(value):
    """An id of the same kind that no object has."""
    if isinstance(value, int):
        return MISSING_PK
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=0)
    return value


def url_of(name: str, row: Row, world: World, scope: str) -> str:
    target = world if row.mission is None else world.places["own" if scope == "missing" else scope]
    kwargs = row.kwargs(target)
    if scope == "missing":
        kwargs = {key: missing(value) for key, value in kwargs.items()}
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{row.query}" if row.query else url


def expected(row: Row, who: str, scope: str, method: str, rule: Rule | None) -> Outcome:
    roles = ROLES[who]
    if row.admin and "staff" not in roles and not row.public:
        return row.turned_away
    if who == "anonymous" and not row.public:
        return LOGIN
    if rule is None:
        return NOT_ALLOWED
    if scope == "missing":
        return NOT_FOUND
    return rule(perms(who, scope, row.mission or ""), roles)


# The admin's door (AdminSite.admin_view) turns away whoever is not staff, before anything
# else and the same way on every route: the whole cast meets it at the index; elsewhere
# anonymous users and the RC/HC of Pakistan (who sees the objects of Pakistan on the site).
AT_EVERY_ADMIN_DOOR = ("anonymous", "rc_hc_pakistan")


def askers(name: str, row: Row, scope: str, method: str, rule: Rule | None) -> list[str]:
    """The cast members asked in a cell of `row`. Ids that do not exist ("missing") are
    asked by anonymous users and by one who would get past the 404 if they existed: theirs
    must be the 404 everyone else gets."""
    asked = CAST
    if row.admin and name != "admin:index":
        asked = [who for who in CAST if "staff" in ROLES[who] or who in AT_EVERY_ADMIN_DOOR]
    if scope != "missing":
        return asked
    would_see = [
        who
        for who in asked
        if who != "anonymous"
        and (not row.admin or "staff" in ROLES[who])
        and rule is not None
        and any(
            rule(perms(who, seen, row.mission), ROLES[who]) is not NOT_FOUND
            for seen in ("own", "other")
        )
    ]
    return ["anonymous", *would_see[:1]]


def tries(row: Row) -> list[tuple[str, dict, Rule | None]]:
    return [("GET", {}, row.get), *(("POST", data, rule) for data, rule in row.posts)]


def check_cell(client: Client, method: str, path: str, data: dict, outcome: Outcome, baseline):
    """Ask, in a savepoint rolled back afterwards; return what is wrong ("" when nothing)."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            try:
                response = client.get(path) if method == "GET" else client.post(path, data)
            except Exception as error:  # a 500: report the cell, go on with the others
                transaction.set_rollback(True)
                return f"got 500 ({type(error).__name__}: {error})"
            problem = outcome.problem(response, path)
            if (
                not problem
                and response.status_code not in (301, 302)
                and "Content-Security-Policy" not in response
            ):
                problem = "has no Content-Security-Policy header"
            # (Not response.close(): it sends request_finished, whose close_old_connections
            # drops PostgreSQL's connection in the middle of the module's transaction.)
            for close in getattr(response, "_resource_closers", ()):
                close()
            if (
                not problem
                and method == "POST"
                and not outcome.gets_through
                and snapshot() != baseline
            ):
                problem = "was refused but changed the database"
            transaction.set_rollback(True)
            return problem
    finally:
        client.cookies = cookies


def run_matrix(rows: dict[str, Row], world: World, users: dict) -> tuple[int, list[str]]:
    """Ask every cell of `rows`; return the number of cells asked and those that failed."""
    clients = {}
    for who in CAST:
        clients[who] = Client()
        if users[who] is not None:
            clients[who].force_login(users[who])
    baseline = snapshot()
    cells, failures = 0, []
    for name, row in rows.items():
        for scope in ["-"] if row.mission is None else ["own", "other", "missing"]:
            path = url_of(name, row, world, scope)
            for method, data, rule in tries(row):
                for who in askers(name, row, scope, method, rule):
                    outcome = expected(row, who, scope, method, rule)
                    problem = check_cell(clients[who], method, path, data, outcome, baseline)
                    cells += 1
                    if problem:
                        failures.append(
                            f"{method} {path} ({name}) as {who}, scope {scope}: "
                            f"expected {outcome.label}, {problem}"
                        )
    return cells, failures


@pytest.mark.parametrize("family", FAMILIES)
def test_url_matrix(family, world, users):
    cells, failures = run_matrix(FAMILIES[family], world, users)
    assert cells
    assert not failures, f"{len(failures)} of {cells} cells:\n" + "\n".join(failures)


# Every page in every language -------------------------------------------------------------

TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def untranslated_msgids(language: str) -> list[str]:
    """The project's own sentences that read differently in `language`: any of them seen in
    English on a page of that language is a string nobody marked, or a catalogue's gap."""
    catalogue = polib.pofile(
        settings.BASE_DIR / "locale" / to_locale(language) / "LC_MESSAGES" / "django.po"
    )
    return [
        " ".join(entry.msgid.split())
        for entry in catalogue
        if entry.msgstr
        and entry.msgstr != entry.msgid
        and not entry.msgid_plural
        and " " in entry.msgid.strip()
        and len(entry.msgid) >= 12
        and "%" not in entry.msgid
        and "{" not in entry.msgid
        and "<" not in entry.msgid
    ]


class _PageText(HTMLParser):
    """The words of a page, without what users typed (dir="auto") or what is marked as another
    language (lang="en" on a citation), which no catalogue translates."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col"}

    def __init__(self, language: str):
        super().__init__()
        self.language, self.skipping, self.parts = language, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        other = tag != "html" and attrs.get("lang") not in (None, self.language)
        self.skipping.append(tag in ("script", "style") or other or attrs.get("dir") == "auto")

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data):
        if not any(self.skipping):
            self.parts.append(data)


def page_text(response, language: str) -> str:
    parser = _PageText(language)
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def first_reader(name: str, row: Row, scope: str) -> str | None:
    """One member of the cast who reads the page (a 200), if any does."""
    for who in CAST:
        if row.admin and "staff" not in ROLES[who]:
            continue
        if who == "anonymous" and not row.public:
            continue
        if expected(row, who, scope, "GET", row.get) is OK:
            return who
    return None


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_page_reads_in_every_language(language, world, users):
    all_rows = {name: row for rows in FAMILIES.values() for name, row in rows.items()}
    english = untranslated_msgids(language)
    assert english, f"the {language} catalogue translates nothing"
    clients: dict[str, Client] = {}
    pages, failures = 0, []
    for name, row in all_rows.items():
        if row.get is None or name.startswith("admin:"):
            continue
        scope = "-" if row.mission is None else "own"
        who = first_reader(name, row, scope)
        if who is None:
            continue
        if who not in clients:
            clients[who] = Client()
            clients[who].cookies[settings.LANGUAGE_COOKIE_NAME] = language
            if users[who] is not None:
                clients[who].force_login(users[who])
        path = url_of(name, row, world, scope)
        with transaction.atomic():
            response = clients[who].get(path)
            transaction.set_rollback(True)
        if response.get("Content-Type", "").split(";")[0] != "text/html":
            continue
        pages += 1
        text = page_text(response, language)
        if f'lang="{language}"' not in response.content.decode()[:300]:
            failures.append(f"{path} ({name}) as {who}: not marked lang={language}")
        left = sorted({msgid for msgid in english if msgid in text})
        if left:
            failures.append(f"{path} ({name}) as {who}: still in English: {left[:5]}")
    assert pages >= 40
    assert not failures, f"{len(failures)} of {pages} pages:\n" + "\n".join(failures)
