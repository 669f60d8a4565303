"""Lessons and good practice: recorded by a mission's GCC, leader and team, searched by those
who organise missions, and shown while planning the next one."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country, GlobalCluster
from missions.demo.lessons import DEMO_LESSONS, lessons_load_demo
from missions.demo.load import HISTORICAL
from missions.models import Lesson, Mission
from missions.selectors.lessons import lesson_search, lessons_for_planning, lessons_visible_to
from missions.services.lessons import lesson_add, lesson_may_add, tags_normalise
from missions.services.permissions import mission_leader_appoint
from missions.workflow import MissionNotFound
from tests.factories import make_member, make_mission

LIST_URL = reverse("lessons:list")


def new_url(mission) -> str:
    return reverse("lessons:new", args=[mission.pk])


def detail_url(lesson) -> str:
    return reverse("lessons:detail", args=[lesson.pk])


def listed(response) -> list[str]:
    return [lesson.title for lesson in response.context["page"].object_list]


def make_lesson(mission, title="A lesson", *, kind=Lesson.Kind.LESSON, tags="", clusters=()):
    """A lesson set up directly (test set-up, not behaviour)."""
    lesson = Lesson.objects.create(
        mission=mission,
        country=mission.country,
        kind=kind,
        title=title,
        text=f"What {title.lower()} taught us.",
        tags=tags,
    )
    lesson.clusters.set(GlobalCluster.objects.filter(code__in=clusters))
    return lesson


def aged(lesson, days: int):
    Lesson.objects.filter(pk=lesson.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    return lesson


@pytest.fixture
def closed_pakistan(cast):
    return make_mission("PAK", status="closed", title="Pakistan 2009: diagnostic mission")


@pytest.fixture
def closed_nepal(cast):
    return make_mission("NPL", status="closed", title="Nepal July 2010: support mission")


@pytest.fixture
def writers(cast, closed_pakistan):
    """The GCC, the leader and a team member of the closed Pakistan mission."""
    mission_leader_appoint(closed_pakistan, cast["leader"])
    member = make_member(closed_pakistan, "member").participant
    return {"gcc": cast["gcc"], "leader": cast["leader"], "member": member}


FORM = {
    "kind": "good_practice",
    "title": "Agree action points before leaving",
    "text": "We agreed each action point with the HCT on the last day.",
    "tags": "HCT, action points",
}


class TestRecordingALesson:
    @pytest.mark.parametrize("who", ["gcc", "leader", "member"])
    def test_gcc_leader_and_team_member_record_a_lesson(
        self, client, writers, closed_pakistan, who
    ):
        client.force_login(writers[who])
        health = GlobalCluster.objects.get(code="health")
        response = client.post(new_url(closed_pakistan), {**FORM, "clusters": [health.pk]})

        lesson = Lesson.objects.get()
        assertRedirects(response, detail_url(lesson))
        assert lesson.mission == closed_pakistan
        assert lesson.country.code == "PAK"
        assert lesson.author == writers[who]
        assert lesson.kind == "good_practice"
        assert list(lesson.clusters.all()) == [health]
        assert lesson.tags == "hct, action points"

    @pytest.mark.parametrize("who", ["rc_hc_nepal", "focal_health", "outsider"])
    def test_others_get_404_and_nothing_is_recorded(self, client, cast, closed_pakistan, who):
        client.force_login(cast[who])
        assert client.get(new_url(closed_pakistan)).status_code == 404
        assert client.post(new_url(closed_pakistan), FORM).status_code == 404
        assert not Lesson.objects.exists()

    @pytest.mark.parametrize("who", ["rc_hc_pakistan", "hct_pakistan"])
    def test_those_who_see_the_mission_but_did_not_run_it_are_refused_and_nothing_is_recorded(
        self, client, cast, closed_pakistan, who
    ):
        client.force_login(cast[who])
        assert client.get(new_url(closed_pakistan)).status_code == 404
        response = client.post(new_url(closed_pakistan), FORM)
        assertContains(response, "You may not record lessons on this mission", status_code=403)
        assert not Lesson.objects.exists()

    def test_service_refuses_someone_not_on_the_mission(self, cast, closed_pakistan):
        with pytest.raises(PermissionDenied):
            lesson_add(closed_pakistan, cast["rc_hc_pakistan"], **FORM)
        with pytest.raises(MissionNotFound):
            lesson_add(closed_pakistan, cast["rc_hc_nepal"], **FORM)
        assert not lesson_may_add(closed_pakistan, cast["hct_pakistan"])
        assert not Lesson.objects.exists()

    @pytest.mark.parametrize("status", ["draft", "submitted", "in_triage"])
    def test_a_request_not_yet_through_triage_takes_no_lesson(self, client, cast, status):
        # Submitted once (the draft: returned for revision), so the GCC sees it.
        mission = make_mission("PAK", status=status, submitted_at=timezone.now())
        with pytest.raises(ValidationError, match="through triage"):
            lesson_add(mission, cast["gcc"], **FORM)

        client.force_login(cast["gcc"])
        assertContains(client.get(new_url(mission)), "only on missions that have been through")
        response = client.post(new_url(mission), FORM)
        assert response.status_code == 200
        assertContains(response, "through triage")
        assert not Lesson.objects.exists()

    def test_a_mission_in_planning_takes_lessons(self, cast):
        mission = make_mission("PAK", status="in_planning")
        assert lesson_add(mission, cast["gcc"], **FORM).mission == mission

    def test_tags_are_trimmed_lower_cased_and_deduplicated(self):
        assert tags_normalise("  HCT, Briefing   Papers,hct , ,Language ") == (
            "hct, briefing papers, language"
        )
        assert tags_normalise(["Gender", "gender ", ""]) == "gender"
        assert tags_normalise("") == ""

    def test_empty_title_and_over_long_tags_are_marked_at_their_fields(
        self, client, writers, closed_pakistan
    ):
        client.force_login(writers["gcc"])
        tags = ", ".join(f"tag number {i}" for i in range(30))
        response = client.post(new_url(closed_pakistan), {**FORM, "title": "  ", "tags": tags})

        assert response.status_code == 200
        form = response.context["form"]
        assert form.errors["title"] == ["Give the lesson a short title."]
        assert "fewer or shorter tags" in form.errors["tags"][0]
        assertContains(response, "Nothing was saved yet")
        assert not Lesson.objects.exists()

    def test_a_single_over_long_tag_is_named(self, writers, closed_pakistan):
        with pytest.raises(ValidationError) as raised:
            lesson_add(closed_pakistan, writers["gcc"], **{**FORM, "tags": "x" * 41})
        assert "40 characters or fewer" in raised.value.message_dict["tags"][0]
        assert not Lesson.objects.exists()

    def test_service_keys_every_bad_field(self, writers, closed_pakistan):
        with pytest.raises(ValidationError) as raised:
            lesson_add(
                closed_pakistan,
                writers["leader"],
                kind="anecdote",
                title="",
                text=" ",
                clusters=[999_999],
            )
        assert set(raised.value.message_dict) == {"kind", "title", "text", "clusters"}
        assert not Lesson.objects.exists()

    def test_the_form_offers_the_missions_clusters(self, client, writers, closed_pakistan):
        client.force_login(writers["gcc"])
        form = client.get(new_url(closed_pakistan)).context["form"]
        assert set(form.initial["clusters"]) == set(closed_pakistan.requested_clusters.all())


@pytest.fixture
def library(cast, closed_pakistan, closed_nepal):
    """Lessons on the closed Pakistan and Nepal missions."""
    return {
        "hct": make_lesson(
            closed_pakistan,
            "Map HCT reporting lines",
            tags="hct, preparation",
            clusters=["health"],
        ),
        "language": make_lesson(
            closed_nepal,
            "Hold meetings in Nepali",
            kind=Lesson.Kind.GOOD_PRACTICE,
            tags="language, hct linkages",
            clusters=["shelter"],
        ),
        "briefing": make_lesson(
            closed_pakistan,
            "Briefing papers early",
            kind=Lesson.Kind.GOOD_PRACTICE,
            tags="briefing papers, gender",
        ),
    }


def search(client, user, **params) -> list[str]:
    client.force_login(user)
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return listed(response)


class TestSearch:
    def test_without_filters_lists_every_lesson_newest_first(self, client, cast, library):
        aged(library["hct"], 3)
        aged(library["language"], 2)
        assert search(client, cast["gcc"]) == [
            "Briefing papers early",
            "Hold meetings in Nepali",
            "Map HCT reporting lines",
        ]

    def test_words_are_found_in_title_text_and_tags(self, client, cast, library):
        assert search(client, cast["gcc"], q="nepali") == ["Hold meetings in Nepali"]
        assert search(client, cast["gcc"], q="taught briefing") == ["Briefing papers early"]
        assert set(search(client, cast["gcc"], q="GENDER")) == {"Briefing papers early"}

    def test_a_tag_matches_whole_tags_only(self, client, cast, library):
        assert search(client, cast["gcc"], tag="hct") == ["Map HCT reporting lines"]
        assert search(client, cast["gcc"], tag="HCT Linkages") == ["Hold meetings in Nepali"]

    def test_country_cluster_and_kind_filter_and_combine(self, client, cast, library):
        gcc = cast["gcc"]
        assert set(search(client, gcc, country="NPL")) == {"Hold meetings in Nepali"}
        assert set(search(client, gcc, cluster="health")) == {"Map HCT reporting lines"}
        assert set(search(client, gcc, kind="good_practice")) == {
            "Hold meetings in Nepali",
            "Briefing papers early",
        }
        assert search(client, gcc, kind="good_practice", country="PAK") == ["Briefing papers early"]

    def test_tag_links_filter_the_search(self, client, cast, library):
        client.force_login(cast["gcc"])
        response = client.get(LIST_URL, {"country": "PAK"})
        assertContains(response, "?country=PAK&amp;tag=briefing+papers")
        response = client.get(detail_url(library["briefing"]))
        assertContains(response, f"{LIST_URL}?tag=briefing%20papers")

    def test_a_bad_filter_is_explained_and_the_others_still_apply(self, client, cast, library):
        client.force_login(cast["gcc"])
        response = client.get(LIST_URL, {"country": "XXX", "kind": "lesson"})
        assert response.status_code == 200
        assert "country" in response.context["form"].errors
        assert listed(response) == ["Map HCT reporting lines"]

    def test_a_page_runs_the_same_queries_for_3_or_30_lessons(self, client, cast, closed_pakistan):
        client.force_login(cast["gcc"])
        for i in range(3):
            make_lesson(closed_pakistan, f"Lesson {i}", tags="a, b", clusters=["health", "wash"])
        client.get(LIST_URL)  # warm per-process caches (content types) before counting
        with CaptureQueriesContext(connection) as three:
            response = client.get(LIST_URL)
        assert len(listed(response)) == 3

        for i in range(3, 30):
            make_lesson(closed_pakistan, f"Lesson {i}", tags="a, b", clusters=["health", "wash"])
        with CaptureQueriesContext(connection) as thirty:
            response = client.get(LIST_URL)
        assert len(listed(response)) == 20
        assert len(thirty) == len(three), "\n".join(q["sql"] for q in thirty.captured_queries)


class TestScope:
    def test_an_outsider_sees_no_lesson(self, client, cast, library):
        assert search(client, cast["outsider"]) == []
        assert client.get(detail_url(library["hct"])).status_code == 404

    def test_rc_hc_of_pakistan_sees_pakistans_lessons_only(self, client, cast, library):
        assert set(search(client, cast["rc_hc_pakistan"])) == {
            "Map HCT reporting lines",
            "Briefing papers early",
        }
        assert client.get(detail_url(library["hct"])).status_code == 200
        assert client.get(detail_url(library["language"])).status_code == 404

    def test_hct_of_nepal_sees_nepals_lessons_only(self, client, cast, library):
        assert search(client, cast["hct_nepal"]) == ["Hold meetings in Nepali"]

    @pytest.mark.parametrize("who", ["gcc", "hcss", "task_team", "focal_health", "cci_gender"])
    def test_global_roles_and_focal_points_see_every_lesson(self, client, cast, library, who):
        assert len(search(client, cast[who])) == 3
        assert client.get(detail_url(library["language"])).status_code == 200

    def test_a_team_member_of_any_mission_sees_every_lesson(self, client, cast, library):
        mission = make_mission("PAK", status="in_planning", title="Pakistan 2026")
        member = make_member(mission, "newcomer").participant
        assert len(search(client, member)) == 3
        assert lessons_visible_to(member).count() == 3

    def test_joining_a_team_opens_every_lesson_at_once_on_the_same_user(self, cast, library):
        outsider = cast["outsider"]
        assert lessons_visible_to(outsider).count() == 0  # remembered on the user object
        mission = make_mission("PAK", status="in_planning", title="Pakistan 2026")
        mission_leader_appoint(mission, outsider)
        assert lessons_visible_to(outsider).count() == 3

    def test_the_mission_links_only_when_the_reader_may_open_it(self, client, cast, library):
        mission = make_mission("PAK", status="in_planning", title="Pakistan 2026")
        member = make_member(mission, "newcomer").participant
        client.force_login(member)
        response = client.get(detail_url(library["hct"]))
        assertContains(response, "Pakistan 2009: diagnostic mission")
        assertNotContains(response, reverse("missions:detail", args=[library["hct"].mission_id]))

        client.force_login(cast["gcc"])
        response = client.get(detail_url(library["hct"]))
        assertContains(response, reverse("missions:detail", args=[library["hct"].mission_id]))

    def test_search_filters_never_widen_scope(self, cast, library):
        assert not lesson_search(cast["rc_hc_pakistan"], country=Country.objects.get(code="NPL"))
        assert not lesson_search(cast["outsider"], q="lesson")


class TestLessonsForPlanning:
    @pytest.fixture
    def planned(self, cast):
        return make_mission(
            "PAK", status="in_planning", title="Pakistan 2026", mission_type="diagnostic"
        )

    def test_same_country_first_then_same_type_then_the_rest(self, cast, planned):
        pak_other = make_mission(
            "PAK", status="closed", title="Pakistan 2010", mission_type="follow_up"
        )
        npl_diag = make_mission(
            "NPL", status="closed", title="Nepal 2009", mission_type="diagnostic"
        )
        npl_other = make_mission("NPL", status="closed", title="Nepal 2010")
        aged(make_lesson(npl_other, "Other, newest"), 1)
        aged(make_lesson(npl_diag, "Same type, old"), 50)
        aged(make_lesson(npl_diag, "Same type, new"), 2)
        aged(make_lesson(pak_other, "Same country, old"), 100)
        aged(make_lesson(pak_other, "Same country, new"), 10)
        make_lesson(planned, "Its own lesson")

        titles = [lesson.title for lesson in lessons_for_planning(planned, cast["gcc"])]
        assert titles == [
            "Same country, new",
            "Same country, old",
            "Same type, new",
            "Same type, old",
            "Other, newest",
        ]
        assert len(lessons_for_planning(planned, cast["gcc"], limit=2)) == 2

    def test_only_lessons_the_user_may_read(self, cast, planned, library):
        titles = {lesson.title for lesson in lessons_for_planning(planned, cast["rc_hc_pakistan"])}
        assert titles == {"Map HCT reporting lines", "Briefing papers early"}

    def test_runs_the_same_queries_for_3_or_30_lessons(self, cast, planned, closed_nepal):
        gcc = cast["gcc"]
        for i in range(3):
            make_lesson(closed_nepal, f"Lesson {i}", clusters=["health"])
        lessons_for_planning(planned, gcc)
        with CaptureQueriesContext(connection) as three:
            shown = lessons_for_planning(planned, gcc, limit=30)
            [list(lesson.clusters.all()) for lesson in shown]
        for i in range(3, 30):
            make_lesson(closed_nepal, f"Lesson {i}", clusters=["health"])
        with CaptureQueriesContext(connection) as thirty:
            shown = lessons_for_planning(planned, gcc, limit=30)
            [list(lesson.clusters.all()) for lesson in shown]
        assert len(shown) == 30
        assert len(thirty) == len(three)

    def test_the_planning_include_lists_lessons_and_links_to_search(self, cast, planned, library):
        html = render_to_string(
            "missions/lessons/_for_planning.html",
            {
                "lessons": lessons_for_planning(planned, cast["gcc"]),
                "mission": planned,
                "can_record_lesson": True,
            },
        )
        assert "Map HCT reporting lines" in html
        assert detail_url(library["language"]) in html
        assert "Search all lessons" in html
        assert new_url(planned) in html


class TestDemoLessons:
    def test_every_demo_lesson_belongs_to_a_historical_mission(self):
        titles = {spec["title"] for spec in HISTORICAL}
        assert {spec["mission"] for spec in DEMO_LESSONS} <= titles
        assert 6 <= len(DEMO_LESSONS) <= 8

    def test_loading_twice_creates_each_lesson_once(self, cast):
        for spec in HISTORICAL:
            make_mission(
                spec["country"],
                status="closed",
                title=spec["title"],
                mission_type=spec["mission_type"],
            )
        assert lessons_load_demo(author=cast["leader"]) == len(DEMO_LESSONS)
        assert lessons_load_demo() == 0
        assert Lesson.objects.count() == len(DEMO_LESSONS)

        lesson = Lesson.objects.get(title="Pair each team member with a national counterpart")
        assert lesson.country.code == "SDN"
        assert lesson.tag_list == ["national counterparts", "cluster leadership", "handover"]
        assert {c.code for c in lesson.clusters.all()} == {"health", "wash", "protection"}
        assert lesson.author == cast["leader"]

    def test_missing_missions_are_skipped(self, cast):
        colombia = "Colombia June 2010: inter-cluster support mission"
        make_mission("COL", status="closed", title=colombia)
        assert lessons_load_demo() == sum(s["mission"] == colombia for s in DEMO_LESSONS) > 0
        assert Mission.objects.count() == 1
