"""The Terms of Reference: started from the Task Team's decision, edited in versions by the GCC
and the leader, read by everyone who sees the mission, marked final before confirm_ready."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import CrossCuttingIssue, GlobalCluster, Role
from clusters.services import role_grant
from missions.models import TermsOfReference, ToRVersion
from missions.models.mission import tor_final
from missions.selectors.missions import transition_missing
from missions.services.permissions import mission_leader_appoint
from missions.services.tor import (
    START_NOTE,
    tor_current,
    tor_diff,
    tor_mark_final,
    tor_overview,
    tor_save,
    tor_start,
    tor_versions,
)
from tests.factories import UserFactory, make_invitation, make_member, make_mission, refusal

SECTIONS = ("background", "focus", "objectives", "deliverables", "team", "timing")


def tor_url(mission) -> str:
    return reverse("missions:tor", args=[mission.pk])


def version_url(mission, number: int) -> str:
    return reverse("missions:tor_version", args=[mission.pk, number])


def save_data(version: ToRVersion, **changes) -> dict:
    """What the edit form posts back: the version's text with `changes`."""
    data = {name: getattr(version, name) for name in SECTIONS}
    data.update(base_number=version.number, change_note="Edited.")
    data.update(changes)
    return data


@pytest.fixture
def mission(cast):
    mission = make_mission(
        "PAK",
        status="approved",
        title="Pakistan flood coordination",
        preferred_start=datetime.date(2031, 3, 2),
        preferred_end=datetime.date(2031, 3, 12),
    )
    mission.requested_clusters.add(GlobalCluster.objects.get(code="health"))
    mission.requested_issues.add(CrossCuttingIssue.objects.get(code="gender"))
    return mission


@pytest.fixture
def tor(mission, cast):
    return tor_start(mission, cast["gcc"])


class TestStartingTheToR:
    def test_version_1_is_drawn_from_the_task_teams_decision_and_the_request(self, mission, cast):
        tor = tor_start(mission, cast["gcc"])

        version = tor.versions.get()
        assert version.number == 1
        assert version.author == cast["gcc"]
        assert version.change_note == START_NOTE
        assert version.focus == mission.agreed_focus
        assert version.objectives == mission.objectives
        assert version.deliverables == mission.deliverables
        assert mission.issues in version.background
        assert mission.draft_tor in version.background
        assert "Suggested team size: 4." in version.team
        assert "Health" in version.team
        assert "Gender" in version.team
        assert mission.composition_notes in version.team
        assert "2 March 2031 to 12 March 2031" in version.timing
        assert not tor_final(mission)

    def test_starting_twice_returns_the_same_tor_with_one_version(self, mission, cast):
        first = tor_start(mission, cast["gcc"])
        second = tor_start(mission, cast["gcc"])

        assert first.pk == second.pk
        assert ToRVersion.objects.filter(tor__mission=mission).count() == 1

    @pytest.mark.parametrize("status", ["with_task_team", "ready", "in_country", "closed"])
    def test_outside_approved_and_in_planning_it_cannot_be_started(self, cast, status):
        mission = make_mission("PAK", status=status)

        with pytest.raises(ValidationError, match="only be changed while"):
            tor_start(mission, cast["gcc"])
        assert not TermsOfReference.objects.exists()

    @pytest.mark.parametrize("reader", ["task_team", "rc_hc_pakistan", "hcss", "outsider"])
    def test_only_the_gcc_and_the_leader_may_start_it(self, mission, cast, reader):
        with pytest.raises(refusal(reader)):
            tor_start(mission, cast[reader])
        assert not TermsOfReference.objects.exists()


class TestVersions:
    def test_saving_a_change_makes_version_2_with_its_author_and_note(self, mission, tor, cast):
        version = tor_save(
            mission,
            cast["gcc"],
            base_number=1,
            change_note="Added the district visits.",
            timing="Two weeks in March, with visits to Sindh.",
        )

        assert version.number == 2
        assert version.author == cast["gcc"]
        assert version.change_note == "Added the district visits."
        assert version.timing == "Two weeks in March, with visits to Sindh."
        assert version.focus == mission.agreed_focus  # sections left out are kept
        assert tor_current(mission) == version
        assert [v.number for v in tor_versions(mission)] == [2, 1]

    def test_saving_without_a_change_makes_no_version(self, mission, tor, cast):
        current = tor_current(mission)
        # A browser sends textarea lines back as CRLF: that is not a change.
        sections = {name: getattr(current, name).replace("\n", "\r\n") for name in SECTIONS}

        saved = tor_save(mission, cast["gcc"], base_number=1, change_note="Nothing.", **sections)

        assert saved is None
        assert tor_versions(mission).count() == 1

    def test_a_stale_base_is_refused_and_nothing_is_saved(self, mission, tor, cast):
        tor_save(mission, cast["gcc"], base_number=1, change_note="First.", focus="GCC's focus.")

        with pytest.raises(ValidationError, match="saved version 2"):
            tor_save(
                mission, cast["gcc"], base_number=1, change_note="Late.", focus="Someone else's."
            )
        assert tor_versions(mission).count() == 2
        assert tor_current(mission).focus == "GCC's focus."

    def test_a_change_needs_a_note(self, mission, tor, cast):
        with pytest.raises(ValidationError) as raised:
            tor_save(mission, cast["gcc"], base_number=1, change_note="  ", focus="New.")
        assert "change_note" in raised.value.message_dict
        assert tor_versions(mission).count() == 1

    def test_marking_final_makes_the_confirm_ready_guard_pass(self, mission, tor, cast):
        assert "tor" in {
            m.field for m in transition_missing(_in_planning(mission), "confirm_ready")
        }

        version = tor_mark_final(mission, cast["gcc"], number=1)

        tor.refresh_from_db()
        assert tor.final_version == version
        assert tor.finalised_by == cast["gcc"]
        assert tor_final(mission)
        assert "tor" not in {m.field for m in transition_missing(mission, "confirm_ready")}

    def test_only_the_latest_version_can_be_marked_final(self, mission, tor, cast):
        tor_save(mission, cast["gcc"], base_number=1, change_note="Edit.", focus="Changed.")

        with pytest.raises(ValidationError, match="no longer the current one"):
            tor_mark_final(mission, cast["gcc"], number=1)
        assert not tor_final(mission)

    def test_a_new_version_is_no_longer_final(self, mission, tor, cast):
        tor_mark_final(mission, cast["gcc"], number=1)

        tor_save(mission, cast["gcc"], base_number=1, change_note="Edit.", focus="Changed.")

        tor.refresh_from_db()
        assert tor.final_version is None
        assert tor.finalised_at is None
        assert not tor_final(mission)

    def test_the_leader_edits_and_marks_final_too(self, mission, tor, cast):
        mission_leader_appoint(mission, cast["leader"])

        version = tor_save(
            mission, cast["leader"], base_number=1, change_note="Leader.", team="Five people."
        )
        tor_mark_final(mission, cast["leader"], number=version.number)

        assert version.author == cast["leader"]
        assert tor_final(mission)

    def test_after_planning_the_tor_is_read_only(self, mission, tor, cast):
        mission.__class__.objects.filter(pk=mission.pk).update(status="ready")

        with pytest.raises(ValidationError, match="it is now ready to deploy"):
            tor_save(mission, cast["gcc"], base_number=1, change_note="Late.", focus="x")
        with pytest.raises(ValidationError):
            tor_mark_final(mission, cast["gcc"], number=1)
        assert tor_versions(mission).count() == 1

    @pytest.mark.parametrize("reader", ["task_team", "rc_hc_pakistan", "hct_pakistan", "hcss"])
    def test_readers_may_not_save_or_mark_final(self, mission, tor, cast, reader):
        with pytest.raises(refusal(reader)):
            tor_save(mission, cast[reader], base_number=1, change_note="x", focus="x")
        with pytest.raises(refusal(reader)):
            tor_mark_final(mission, cast[reader], number=1)
        assert tor_versions(mission).count() == 1

    def test_the_overview_says_number_final_and_who_saved_it_when(self, mission, cast):
        assert tor_overview(mission)["exists"] is False
        tor_start(mission, cast["gcc"])
        version = tor_save(mission, cast["gcc"], base_number=1, change_note="x", focus="y")
        tor_mark_final(mission, cast["gcc"], number=2)

        overview = tor_overview(mission)

        assert overview["exists"] is True
        assert overview["number"] == 2
        assert overview["final"] is True
        assert overview["updated_by"] == cast["gcc"]
        assert overview["updated_at"] == version.created_at


def _in_planning(mission):
    mission.__class__.objects.filter(pk=mission.pk).update(status="in_planning")
    mission.refresh_from_db()
    return mission


class TestDiff:
    def test_changed_lines_show_as_removed_and_added_unchanged_sections_as_no_change(self):
        before = ToRVersion(number=1, focus="Line one\nLine two\nLine three", team="Four.")
        after = ToRVersion(number=2, focus="Line one\nLine 2\nLine three", team="Four.")

        sections = {section.name: section for section in tor_diff(before, after)}

        assert not sections["team"].changed
        focus = [(line.kind, line.text) for line in sections["focus"].lines]
        assert focus == [
            ("same", "Line one"),
            ("removed", "Line two"),
            ("added", "Line 2"),
            ("same", "Line three"),
        ]

    def test_long_unchanged_stretches_collapse_into_a_gap(self):
        lines = [f"Line {i}" for i in range(20)]
        before = ToRVersion(number=1, background="\n".join(lines))
        after = ToRVersion(number=2, background="\n".join([*lines[:-1], "Last line"]))

        background = tor_diff(before, after)[0]

        kinds = [line.kind for line in background.lines]
        assert kinds == ["gap", "same", "same", "removed", "added"]


# Who may do what, on the pages -----------------------------------------------------------------

READERS = ["rc_hc_pakistan", "hct_pakistan", "hcss", "task_team", "focal_health", "member"]
EDITORS = ["gcc", "leader"]
OUT_OF_SCOPE = ["rc_hc_nepal", "hct_nepal", "outsider", "focal_wash", "cci_gender"]


@pytest.fixture
def people(mission, cast):
    """The cast, with Health invited (its focal point reads), a team member and the leader.
    WASH and Gender are not invited: their focal points are out of scope."""
    make_invitation(mission, "health")
    member = make_member(mission, "member-1").participant
    mission_leader_appoint(mission, cast["leader"])
    focal_wash = UserFactory(username="focal-wash")
    role_grant(
        focal_wash, Role.CLUSTER_FOCAL_POINT, global_cluster=GlobalCluster.objects.get(code="wash")
    )
    return {**cast, "member": member, "focal_wash": focal_wash}


class TestWhoMayDoWhat:
    @pytest.mark.parametrize("who", EDITORS)
    def test_editors_see_the_form_and_save_a_version(self, client, mission, tor, people, who):
        client.force_login(people[who])
        page = client.get(tor_url(mission))
        assertContains(page, "Save a new version")
        assertContains(page, "Mark version 1 final")

        response = client.post(
            reverse("missions:tor_save", args=[mission.pk]),
            save_data(tor_current(mission), focus="A sharper focus."),
        )

        assertRedirects(response, tor_url(mission))
        assert tor_current(mission).author == people[who]

    @pytest.mark.parametrize("who", READERS)
    def test_readers_see_the_tor_but_no_form_and_may_not_post(
        self, client, mission, tor, people, who
    ):
        client.force_login(people[who])
        page = client.get(tor_url(mission))
        assertContains(page, mission.agreed_focus)
        assertNotContains(page, "Save a new version")
        assertNotContains(page, "Mark version 1 final")
        assert client.get(version_url(mission, 1)).status_code == 200

        data = save_data(tor_current(mission), focus="Mine.")
        refused = "You may not edit these Terms of Reference."
        for name in ("tor_save", "tor_start"):
            url = reverse(f"missions:{name}", args=[mission.pk])
            assertContains(client.post(url, data), refused, status_code=403)
        final = client.post(reverse("missions:tor_final", args=[mission.pk]), {"number": 1})
        assertContains(final, refused, status_code=403)
        assert tor_versions(mission).count() == 1

    @pytest.mark.parametrize("who", OUT_OF_SCOPE)
    def test_out_of_scope_gets_404_everywhere(self, client, mission, tor, people, who):
        client.force_login(people[who])
        for url in (tor_url(mission), version_url(mission, 1)):
            assert client.get(url).status_code == 404
        for name in ("tor_save", "tor_start", "tor_final"):
            url = reverse(f"missions:{name}", args=[mission.pk])
            assert client.post(url, save_data(tor_current(mission), number=1)).status_code == 404
        assert tor_versions(mission).count() == 1

    def test_a_missing_version_is_a_404(self, client, mission, tor, cast):
        client.force_login(cast["gcc"])
        assert client.get(version_url(mission, 7)).status_code == 404


# The pages ---------------------------------------------------------------------------------------


class TestPages:
    def test_without_a_tor_the_gcc_starts_it_with_one_button(self, client, mission, cast):
        client.force_login(cast["gcc"])
        assertContains(client.get(tor_url(mission)), "Start the ToR from the Task Team")

        response = client.post(reverse("missions:tor_start", args=[mission.pk]))

        assertRedirects(response, tor_url(mission))
        page = client.get(tor_url(mission))
        assertContains(page, "Version 1")
        assertContains(page, escape(START_NOTE))
        assertContains(page, mission.agreed_focus)

    def test_a_reader_without_a_tor_sees_that_there_is_none(self, client, mission, cast):
        client.force_login(cast["rc_hc_pakistan"])
        page = client.get(tor_url(mission))
        assertContains(page, "no Terms of Reference for this mission yet")
        assertNotContains(page, "Start the ToR")

    def test_the_page_links_to_the_pdf(self, client, mission, tor, cast):
        client.force_login(cast["hct_pakistan"])
        assertContains(client.get(tor_url(mission)), reverse("reports:tor", args=[mission.pk]))

    def test_a_stale_save_shows_the_users_text_and_an_error_and_saves_nothing(
        self, client, mission, tor, cast
    ):
        seen = tor_current(mission)
        tor_save(mission, cast["gcc"], base_number=1, change_note="Meanwhile.", focus="Theirs.")
        client.force_login(cast["gcc"])

        response = client.post(
            reverse("missions:tor_save", args=[mission.pk]),
            save_data(seen, focus="My careful rewording.", change_note="Mine."),
        )

        assert response.status_code == 200
        assertContains(response, "Your changes were not saved")
        assertContains(response, "saved version 2")
        assertContains(response, "My careful rewording.")
        assert tor_versions(mission).count() == 2
        # Saving again, after reading version 2, is a deliberate choice and goes through.
        assert response.context["form"]["base_number"].value() == "2"

    def test_a_save_without_a_note_keeps_the_text_and_asks_for_one(
        self, client, mission, tor, cast
    ):
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:tor_save", args=[mission.pk]),
            save_data(tor_current(mission), focus="Kept text.", change_note=""),
        )
        assertContains(response, "Say in a few words what you changed.")
        assertContains(response, "Kept text.")
        assert tor_versions(mission).count() == 1

    def test_an_unchanged_save_says_so(self, client, mission, tor, cast):
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:tor_save", args=[mission.pk]),
            save_data(tor_current(mission)),
            follow=True,
        )
        assertContains(response, "Nothing changed")
        assert tor_versions(mission).count() == 1

    def test_marking_final_shows_the_badge_and_hides_the_button(self, client, mission, tor, cast):
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:tor_final", args=[mission.pk]), {"number": 1}, follow=True
        )
        assertContains(response, "Version 1 is now the final ToR.")
        assertContains(response, '<span class="badge approved">Final</span>', html=True)
        assertNotContains(response, "Mark version 1 final")

    def test_a_nonsense_final_request_changes_nothing(self, client, mission, tor, cast):
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:tor_final", args=[mission.pk]), {"number": "x"}, follow=True
        )
        assert response.status_code == 200
        assert not tor_final(mission)

    def test_after_planning_editors_read_only(self, client, mission, tor, cast):
        mission.__class__.objects.filter(pk=mission.pk).update(status="in_country")
        client.force_login(cast["gcc"])
        page = client.get(tor_url(mission))
        assertContains(page, "read-only")
        assertNotContains(page, "Save a new version")

    def test_the_version_page_shows_what_changed_against_the_previous_one(
        self, client, mission, tor, cast
    ):
        tor_save(
            mission,
            cast["gcc"],
            base_number=1,
            change_note="Reworded the focus.",
            focus="Linkages between the HCT and the clusters.",
        )
        client.force_login(cast["rc_hc_pakistan"])

        page = client.get(version_url(mission, 2))

        assertContains(page, "What changed since version 1")
        assertContains(page, "Reworded the focus.")
        assertContains(
            page,
            '<tr class="removed"><td data-label="Change">Removed</td>'
            f'<td dir="auto" data-label="Line"><del>{mission.agreed_focus}</del></td></tr>',
            html=True,
        )
        assertContains(
            page,
            '<tr class="added"><td data-label="Change">Added</td>'
            '<td dir="auto" data-label="Line">'
            "<ins>Linkages between the HCT and the clusters.</ins></td></tr>",
            html=True,
        )
        assertContains(page, "No change.")  # the other sections

    def test_the_versions_list_costs_the_same_queries_for_3_and_30_versions(
        self, client, mission, tor, cast
    ):
        client.force_login(cast["gcc"])

        def queries_with(count: int) -> int:
            while tor_versions(mission).count() < count:
                current = tor_current(mission)
                tor_save(
                    mission,
                    cast["gcc"],
                    base_number=current.number,
                    change_note=f"Edit {current.number}",
                    focus=f"Focus {current.number}",
                )
            with CaptureQueriesContext(connection) as queries:
                response = client.get(tor_url(mission))
            assert len(response.context["versions"]) == count
            return len(queries)

        assert queries_with(3) == queries_with(30)


# Two editors at the same moment (PostgreSQL: real threads, real row locks) -------------------


def save_race(mission_pk: int, users: list, base: int, note: str) -> list[tuple]:
    """Each user saves from version `base` in their own thread, all released at once."""
    barrier = threading.Barrier(len(users))
    results: list[tuple | None] = [None] * len(users)

    def attempt(index: int, user) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                saved = tor_save(
                    mission_pk, user, base_number=base, change_note=note, focus=f"{note}: {user}"
                )
                results[index] = ("won", saved.number)
            except ValidationError as error:
                results[index] = ("lost", error.messages[0])
        except BaseException as error:  # reported by the test, not swallowed
            results[index] = ("crashed", error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(index, user), daemon=True)
        for index, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_editors_saving_from_the_same_version_at_once_make_one_version(on_postgres):
    gcc = UserFactory(username="gcc-race")
    role_grant(gcc, Role.GCC)
    leader = UserFactory(username="leader-race")
    mission = make_mission("PAK", status="in_planning")
    mission_leader_appoint(mission, leader)
    tor_start(mission, gcc)

    for round_no in range(1, 11):
        base = tor_current(mission).number
        results = save_race(mission.pk, [gcc, leader], base, f"Round {round_no}")

        assert sorted(result[0] for result in results) == ["lost", "won"], (round_no, results)
        assert tor_versions(mission).count() == round_no + 1
