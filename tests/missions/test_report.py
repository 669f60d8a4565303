"""The mission report's text: started from the request and the ToR, written in versions by the
leader and the team while the mission is reporting or followed up, findings per cluster and
cross-cutting issue, internal and public parts, a diff, marked final by the leader; and its
distribution list, pre-filled once from the mission and kept by the leader and HCSS."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation, Role
from clusters.services import role_grant
from missions.models import Invitation, MissionReport, ReportFinding, ReportRecipient, ReportVersion
from missions.selectors.missions import transition_missing
from missions.selectors.report import (
    findings_by_area,
    findings_of,
    mission_clusters,
    public_findings,
    public_sections,
    report_current,
    report_final,
    report_versions,
)
from missions.services.mission import mission_transition
from missions.services.permissions import invitation_grant, mission_leader_appoint
from missions.services.report import (
    recipient_add,
    recipient_remove,
    recipients_prefill,
    report_diff,
    report_mark_final,
    report_save,
    report_start,
    start_note,
)
from missions.services.tor import tor_start
from missions.workflow import NUL_MESSAGE, MissionNotFound
from tests.factories import (
    OUT_OF_SCOPE,
    UserFactory,
    make_final_report,
    make_member,
    make_mission,
    make_open_point,
    refusal,
)

Source = ReportRecipient.Source


def cluster(code: str) -> GlobalCluster:
    return GlobalCluster.objects.get(code=code)


def issue(code: str) -> CrossCuttingIssue:
    return CrossCuttingIssue.objects.get(code=code)


@pytest.fixture
def mission(cast):
    """A mission to Pakistan that has left the country: Health and Gender were wanted, its ToR
    was written, a WASH participant is on the team, the cast's leader leads it, and Gender's
    focal point was invited (so the whole cast but Nepal and the outsider sees it)."""
    mission = make_mission(
        "PAK",
        status="approved",
        title="Pakistan flood coordination",
        preferred_start=datetime.date(2031, 3, 2),
        preferred_end=datetime.date(2031, 3, 12),
        hct_endorsed_on=datetime.date(2031, 1, 20),
        in_country_from=datetime.date(2031, 3, 3),
        in_country_to=datetime.date(2031, 3, 13),
    )
    mission.requested_clusters.add(cluster("health"))
    mission.requested_issues.add(issue("gender"))
    tor_start(mission, cast["gcc"])
    cast["member"] = make_member(mission, "member-wash", cluster="wash").participant
    make_member(mission, "member-health", cluster="health")
    mission_leader_appoint(mission, cast["leader"])
    invitation_grant(
        Invitation.objects.create(mission=mission, cross_cutting_issue=issue("gender"))
    )
    type(mission).objects.filter(pk=mission.pk).update(status="reporting")
    mission.refresh_from_db()
    return mission


@pytest.fixture
def report(mission, cast):
    return report_start(mission, cast["leader"])


def save(mission, user, base_number=1, change_note="Edited.", **changes):
    return report_save(mission, user, base_number=base_number, change_note=change_note, **changes)


def finding(text, *, cluster=None, issue=None, internal=False) -> dict:
    return {"text": text, "cluster": cluster, "issue": issue, "internal": internal}


class TestStarting:
    def test_version_1_recalls_the_request_its_context_and_the_dates(self, mission, cast):
        report = report_start(mission, cast["leader"])

        version = report.versions.get()
        assert (version.number, version.author, version.change_note) == (
            1,
            cast["leader"],
            start_note(),
        )
        assert mission.issues in version.context
        assert mission.draft_tor in version.context  # the ToR's background
        assert "Type of mission: Specific issues." in version.request
        assert "Clusters wanted: Health." in version.request
        assert "Cross-cutting issues wanted: Gender." in version.request
        assert mission.objectives in version.request
        assert mission.deliverables in version.request
        assert "2 March 2031 to 12 March 2031" in version.request
        assert "The HCT agreed to the request on 20 January 2031." in version.request
        assert version.programme == "In the country from 3 March 2031 to 13 March 2031."
        assert (version.summary, version.places, version.people_met) == ("", "", "")
        assert not version.is_public("people_met")
        assert not version.findings.exists()
        assert report_final(mission) is None

    def test_the_context_says_the_issues_once_when_the_tor_repeats_them(self, mission, cast):
        version = report_start(mission, cast["leader"]).versions.get()

        assert version.context.count(mission.issues) == 1

    def test_starting_twice_returns_the_same_report_with_one_version(self, mission, cast):
        first = report_start(mission, cast["leader"])
        second = report_start(mission, cast["member"])

        assert first.pk == second.pk
        assert ReportVersion.objects.filter(report__mission=mission).count() == 1

    @pytest.mark.parametrize("status", ["in_planning", "in_country", "closed"])
    def test_it_is_started_only_while_reporting_or_in_follow_up(self, cast, mission, status):
        type(mission).objects.filter(pk=mission.pk).update(status=status)

        with pytest.raises(ValidationError, match="reporting or in follow-up"):
            report_start(mission, cast["leader"])
        assert not MissionReport.objects.exists()

    def test_it_can_be_started_in_follow_up(self, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="follow_up")

        assert report_start(mission, cast["member"]).versions.count() == 1


class TestVersions:
    def test_a_change_makes_version_2_with_its_author_and_note(self, mission, report, cast):
        version = save(mission, cast["member"], change_note="Added the visits.", places="Sukkur")

        assert (version.number, version.author, version.change_note) == (
            2,
            cast["member"],
            "Added the visits.",
        )
        assert version.places == "Sukkur"
        assert version.request == report.versions.get(number=1).request  # kept
        assert [v.number for v in report_versions(mission)] == [2, 1]
        assert report_current(mission) == version

    def test_no_change_makes_no_version(self, mission, report, cast):
        current = report_current(mission)
        sections = {"context": current.context.replace("\n", "\r\n") + "  \r\n"}

        assert save(mission, cast["leader"], internal_sections=[], findings=[], **sections) is None
        assert report_versions(mission).count() == 1

    def test_a_change_of_visibility_alone_is_a_new_version(self, mission, report, cast):
        version = save(mission, cast["leader"], internal_sections=["context"])

        assert version.number == 2
        assert not version.is_public("context")
        assert not version.is_public("people_met")  # always
        assert [s["name"] for s in public_sections(version)] == [
            "summary",
            "request",
            "programme",
            "places",
            "conclusions",
        ]

    def test_people_met_cannot_be_made_public(self, mission, report, cast):
        version = save(mission, cast["leader"], internal_sections=[], people_met="Dr A. Khan")

        assert "people_met" in version.internal_sections
        assert not version.is_public("people_met")

    def test_findings_are_rows_of_the_version_and_earlier_versions_keep_theirs(
        self, mission, report, cast
    ):
        health = cluster("health")
        second = save(
            mission,
            cast["leader"],
            findings=[
                finding("Health meets weekly.", cluster=health),
                finding("", cluster=health),  # an empty row
                finding("A district officer was threatened.", internal=True),
                finding("Gender analysis is missing.", issue=issue("gender")),
            ],
        )
        third = save(
            mission,
            cast["leader"],
            base_number=2,
            findings=[finding("Health meets weekly.", cluster=health.pk)],
        )

        rows = list(findings_of(second))
        assert [(f.position, f.text, f.internal) for f in rows] == [
            (1, "Health meets weekly.", False),
            (2, "A district officer was threatened.", True),
            (3, "Gender analysis is missing.", False),
        ]
        assert [f.text for f in public_findings(second)] == [
            "Health meets weekly.",
            "Gender analysis is missing.",
        ]
        assert [f.text for f in findings_of(third)] == ["Health meets weekly."]
        assert findings_of(second).count() == 3

    def test_findings_left_out_are_copied_into_the_new_version(self, mission, report, cast):
        save(mission, cast["leader"], findings=[finding("Coordination is thin.")])

        third = save(mission, cast["leader"], base_number=2, summary="A summary.")

        assert [f.text for f in findings_of(third)] == ["Coordination is thin."]
        assert ReportFinding.objects.count() == 2

    def test_a_finding_changed_to_internal_is_a_new_version(self, mission, report, cast):
        save(mission, cast["leader"], findings=[finding("Names.")])

        version = save(
            mission, cast["leader"], base_number=2, findings=[finding("Names.", internal=True)]
        )

        assert version.number == 3
        assert public_findings(version) == []

    def test_findings_are_grouped_by_area(self, mission, report, cast):
        version = save(
            mission,
            cast["leader"],
            findings=[
                finding("WASH one.", cluster=cluster("wash")),
                finding("Gender one.", issue=issue("gender")),
                finding("Health one.", cluster=cluster("health")),
                finding("Overall."),
                finding("WASH two.", cluster=cluster("wash")),
            ],
        )

        groups = findings_by_area(findings_of(version))

        assert [(g["kind"], g["area"]) for g in groups] == [
            ("coordination", "Inter-cluster coordination"),
            ("cluster", "Health"),
            ("cluster", "Water, Sanitation and Hygiene"),
            ("issue", "Gender"),
        ]
        assert [f.text for f in groups[2]["findings"]] == ["WASH one.", "WASH two."]

    def test_a_stale_base_is_refused_and_nothing_is_saved(self, mission, report, cast):
        save(mission, cast["leader"], summary="The leader's summary.")

        with pytest.raises(ValidationError, match="saved version 2") as refused:
            save(mission, cast["member"], summary="The member's summary.")
        assert "Nothing was saved" in refused.value.messages[0]
        assert report_versions(mission).count() == 2
        assert report_current(mission).summary == "The leader's summary."

    def test_saving_before_the_report_is_started_is_refused(self, mission, cast):
        with pytest.raises(ValidationError, match="Start the report first"):
            save(mission, cast["leader"], summary="x")

    def test_a_change_needs_a_note(self, mission, report, cast):
        with pytest.raises(ValidationError) as refused:
            save(mission, cast["leader"], change_note="  ", summary="x")
        assert "change_note" in refused.value.message_dict
        assert report_versions(mission).count() == 1

    def test_a_note_longer_than_300_characters_is_refused(self, mission, report, cast):
        with pytest.raises(ValidationError) as refused:
            save(mission, cast["leader"], change_note="x" * 301, summary="x")
        assert "change_note" in refused.value.message_dict
        assert save(mission, cast["leader"], change_note="x" * 300, summary="x").number == 2

    @pytest.mark.parametrize(
        "changes, field",
        [
            ({"summary": "a\x00b"}, "summary"),
            ({"summary": "x", "change_note": "a\x00b"}, "change_note"),
            ({"findings": [finding("a\x00b")]}, "findings"),
        ],
    )
    def test_nul_characters_are_refused_where_they_were_typed(
        self, mission, report, cast, changes, field
    ):
        with pytest.raises(ValidationError) as refused:
            save(mission, cast["leader"], **changes)
        assert NUL_MESSAGE in " ".join(refused.value.message_dict[field])
        assert report_versions(mission).count() == 1

    def test_texts_over_the_limits_are_refused(self, mission, report, cast):
        with pytest.raises(ValidationError) as refused:
            save(
                mission,
                cast["leader"],
                conclusions="x" * 20_001,
                findings=[finding("y" * 5_001)],
            )
        assert set(refused.value.message_dict) == {"conclusions", "findings"}

    def test_unknown_sections_are_refused(self, mission, report, cast):
        with pytest.raises(ValidationError):
            save(mission, cast["leader"], status="closed")
        with pytest.raises(ValidationError) as refused:
            save(mission, cast["leader"], internal_sections=["status"])
        assert "internal_sections" in refused.value.message_dict


class TestFindingAreas:
    def test_the_missions_clusters_are_those_wanted_and_those_of_its_team(self, mission):
        assert {c.code for c in mission_clusters(mission)} == {"health", "wash"}

    def test_a_cluster_of_a_team_member_who_left_is_not_one_of_them(self, mission):
        mission.nominations.filter(participant__username="member-wash").update(status="withdrawn")

        assert {c.code for c in mission_clusters(mission)} == {"health"}

    def test_a_finding_keeps_its_cluster_when_the_member_who_represented_it_left(
        self, mission, report, cast
    ):
        save(mission, cast["leader"], findings=[finding("WASH.", cluster=cluster("wash"))])
        mission.nominations.filter(participant__username="member-wash").update(status="withdrawn")

        version = save(
            mission,
            cast["leader"],
            base_number=2,
            findings=[finding("WASH, again.", cluster=cluster("wash"))],
        )

        assert findings_of(version).get().cluster == cluster("wash")

    def test_a_finding_about_another_cluster_is_refused(self, mission, report, cast):
        with pytest.raises(ValidationError, match="Finding 2: choose one of the mission's"):
            save(
                mission,
                cast["leader"],
                findings=[finding("Fine.", cluster=cluster("wash")), finding("No.", cluster=9)],
            )
        with pytest.raises(ValidationError, match="mission's clusters"):
            save(mission, cast["leader"], findings=[finding("No.", cluster=cluster("education"))])
        assert report_versions(mission).count() == 1

    def test_a_finding_is_about_one_thing(self, mission, report, cast):
        with pytest.raises(ValidationError, match="choose one"):
            save(
                mission,
                cast["leader"],
                findings=[finding("Both.", cluster=cluster("health"), issue=issue("gender"))],
            )

    def test_any_cross_cutting_issue_may_be_a_findings_area(self, mission, report, cast):
        version = save(mission, cast["leader"], findings=[finding("PSEA.", issue=issue("psea"))])

        assert findings_of(version).get().issue == issue("psea")
        with pytest.raises(ValidationError, match="choose a cross-cutting issue"):
            save(mission, cast["leader"], base_number=2, findings=[finding("?", issue=99_999)])


class TestFinal:
    def test_the_leader_marks_the_current_version_final(self, mission, report, cast):
        version = report_mark_final(mission, cast["leader"], number=1)

        report.refresh_from_db()
        assert report.final_version == version
        assert report.finalised_by == cast["leader"]
        assert report_final(mission) == version
        assert transition_missing(mission, "distribute_report") == []  # the list is filled

    def test_marking_it_again_changes_nothing(self, mission, report, cast):
        report_mark_final(mission, cast["leader"], number=1)
        report.refresh_from_db()
        at = report.finalised_at

        report_mark_final(mission, cast["leader"], number=1)

        report.refresh_from_db()
        assert report.finalised_at == at

    def test_only_the_current_version_can_be_marked_final(self, mission, report, cast):
        save(mission, cast["member"], summary="Newer.")

        with pytest.raises(ValidationError, match="no longer the current one"):
            report_mark_final(mission, cast["leader"], number=1)
        assert report_final(mission) is None

    def test_a_new_version_is_a_draft_again(self, mission, report, cast):
        report_mark_final(mission, cast["leader"], number=1)

        save(mission, cast["member"], summary="A correction.")

        report.refresh_from_db()
        assert report.final_version is None and report.finalised_by is None
        assert report_final(mission) is None
        assert [m.field for m in transition_missing(mission, "distribute_report")] == ["report"]

    def test_a_team_member_may_not_mark_it_final(self, mission, report, cast):
        with pytest.raises(PermissionDenied, match="Only the mission leader"):
            report_mark_final(mission, cast["member"], number=1)


class TestDiff:
    def test_sections_visibility_and_findings_are_compared(self, mission, report, cast):
        first = report_current(mission)
        second = save(
            mission,
            cast["leader"],
            summary="Line one\nLine two",
            internal_sections=["programme"],
            findings=[finding("Health meets.", cluster=cluster("health"))],
        )
        third = save(
            mission,
            cast["leader"],
            base_number=2,
            summary="Line one\nLine 2",
            internal_sections=[],
            findings=[
                finding("Health meets.", cluster=cluster("health"), internal=True),
                finding("Overall."),
            ],
        )

        diff = report_diff(second, third)

        sections = {s.name: s for s in diff.sections}
        assert [(line.kind, line.text) for line in sections["summary"].lines] == [
            ("same", "Line one"),
            ("removed", "Line two"),
            ("added", "Line 2"),
        ]
        assert not sections["context"].changed
        assert [(v.name, v.public) for v in diff.visibility] == [("programme", True)]
        assert [(line.kind, line.text) for line in diff.findings] == [
            ("removed", "Health: Health meets."),
            ("added", "Health (internal): Health meets."),
            ("added", "Inter-cluster coordination: Overall."),
        ]
        assert diff.changed
        assert [(v.name, v.public) for v in report_diff(first, second).visibility] == [
            ("programme", False)
        ]

    def test_the_first_version_is_all_new(self, mission, report):
        diff = report_diff(None, report_current(mission))

        assert diff.visibility == []
        assert {s.name for s in diff.sections if s.changed} == {"context", "request", "programme"}


# Who may do what ------------------------------------------------------------------------------

READERS = ["rc_hc_pakistan", "hct_pakistan", "hcss", "task_team", "gcc", "focal_health"]
READERS += ["cci_gender"]
NOT_WRITERS = [*READERS, *sorted(OUT_OF_SCOPE)]


class TestWhoWrites:
    @pytest.mark.parametrize("who", ["leader", "member"])
    def test_the_leader_and_the_team_write(self, mission, cast, who):
        report_start(mission, cast[who])

        assert save(mission, cast[who], summary=f"By {who}.").author == cast[who]

    @pytest.mark.parametrize("who", NOT_WRITERS)
    def test_others_may_not_start_or_save(self, mission, cast, who):
        with pytest.raises(refusal(who)) as refused:
            report_start(mission, cast[who])
        if refused.type is PermissionDenied:
            assert str(refused.value) == "Only the mission's leader and its team write the report."
        assert not MissionReport.objects.exists()
        report_start(mission, cast["leader"])
        with pytest.raises(refusal(who)):
            save(mission, cast[who], summary="Mine.")
        with pytest.raises(refusal(who)):
            report_mark_final(mission, cast[who], number=1)
        assert report_versions(mission).count() == 1
        assert report_final(mission) is None

    def test_a_closed_missions_report_is_read_only(self, mission, report, cast):
        type(mission).objects.filter(pk=mission.pk).update(status="closed")

        with pytest.raises(ValidationError, match="it is now closed"):
            save(mission, cast["leader"], summary="Late.")
        with pytest.raises(ValidationError):
            report_mark_final(mission, cast["leader"], number=1)


# The distribution list ------------------------------------------------------------------------


@pytest.fixture
def addresses(cast):
    """Report addresses for WHO (Health's lead) and ICVA; UNICEF (WASH's lead) has none, so
    WASH's focal points stand in. A WASH focal point without an e-mail and an inactive
    Gender focal point are not on any list."""
    Organisation.objects.filter(acronym="WHO").update(report_email="Health.Desk@WHO.example")
    Organisation.objects.filter(acronym="ICVA").update(report_email="reports@icva.example")
    wash_focal = UserFactory(username="focal-wash", first_name="Wanjiru", last_name="Odhiambo")
    role_grant(wash_focal, Role.CLUSTER_FOCAL_POINT, global_cluster=cluster("wash"))
    silent = UserFactory(username="focal-wash-2", email="")
    role_grant(silent, Role.CLUSTER_FOCAL_POINT, global_cluster=cluster("wash"))
    gone = UserFactory(username="cci-gone", is_active=False)
    role_grant(gone, Role.CCI_FOCAL_POINT, cross_cutting_issue=issue("age"))
    return {"wash_focal": wash_focal}


def listed(mission) -> dict[str, str]:
    return dict(ReportRecipient.objects.filter(mission=mission).values_list("email", "source"))


class TestPrefill:
    def test_each_source_is_on_the_list(self, mission, cast, addresses):
        added = recipients_prefill(mission)

        assert listed(mission) == {
            "health.desk@who.example": Source.LEAD_AGENCY,
            "focal-wash@example.org": Source.CLUSTER_FOCAL_POINT,
            "cci-gender@example.org": Source.CCI_FOCAL_POINT,
            "reports@icva.example": Source.NGO_CONSORTIUM,
            "rchc-pak@example.org": Source.COUNTRY,
            "hct-pak@example.org": Source.COUNTRY,
        }
        assert len(added) == 6
        wash = ReportRecipient.objects.get(email="focal-wash@example.org")
        assert (wash.name, wash.organisation) == (
            "Wanjiru Odhiambo",
            "Global Water, Sanitation and Hygiene cluster",
        )
        who = ReportRecipient.objects.get(source=Source.LEAD_AGENCY)
        assert (who.name, who.organisation) == ("World Health Organization", "WHO")

    def test_a_lead_agency_with_an_address_stands_for_its_cluster(self, mission, cast, addresses):
        recipients_prefill(mission)

        # Health's lead agency has an address: Health's focal point is not needed.
        assert "focal-health@example.org" not in listed(mission)

    def test_a_cluster_with_no_addressed_lead_agency_goes_to_its_focal_points(
        self, mission, cast, addresses
    ):
        Organisation.objects.filter(acronym="WHO").update(report_email="")

        recipients_prefill(mission)

        assert listed(mission)["focal-health@example.org"] == Source.CLUSTER_FOCAL_POINT

    def test_prefilling_again_adds_nothing(self, mission, cast, addresses):
        recipients_prefill(mission)
        recipient_add(mission, cast["leader"], name="Donor desk", email="desk@donor.example")

        assert recipients_prefill(mission) == []
        assert len(listed(mission)) == 7

    def test_the_list_is_filled_when_the_mission_leaves_the_country(self, mission, cast, addresses):
        type(mission).objects.filter(pk=mission.pk).update(status="in_country")
        make_open_point(mission)

        with TestCase.captureOnCommitCallbacks(execute=True):
            mission_transition(mission, "leave_country", cast["leader"])

        assert len(listed(mission)) == 6

    def test_an_address_removed_by_hand_does_not_come_back(self, mission, cast, addresses):
        type(mission).objects.filter(pk=mission.pk).update(status="in_country")
        make_open_point(mission)
        mission_transition(mission, "leave_country", cast["leader"])
        icva = ReportRecipient.objects.get(email="reports@icva.example")

        recipient_remove(mission, cast["leader"], icva.pk)
        report_start(mission, cast["leader"])

        assert "reports@icva.example" not in listed(mission)

    def test_a_mission_that_left_before_the_list_existed_gets_it_with_its_report(
        self, mission, cast, addresses
    ):
        report_start(mission, cast["member"])

        assert len(listed(mission)) == 6


class TestKeepingTheList:
    @pytest.mark.parametrize("who", ["leader", "hcss"])
    def test_the_leader_and_hcss_add_and_remove(self, mission, cast, who):
        added = recipient_add(
            mission,
            cast[who],
            name="  ECHO   desk ",
            email=" Desk@ECHO.example ",
            organisation="ECHO",
        )

        assert (added.name, added.email, added.source, added.added_by) == (
            "ECHO desk",
            "desk@echo.example",
            Source.ADDED,
            cast[who],
        )
        recipient_remove(mission, cast[who], added.pk)
        assert not ReportRecipient.objects.filter(pk=added.pk).exists()

    def test_an_address_is_on_the_list_once(self, mission, cast):
        recipient_add(mission, cast["leader"], name="ECHO", email="desk@echo.example")

        with pytest.raises(ValidationError) as refused:
            recipient_add(mission, cast["hcss"], name="Again", email="DESK@echo.example")

        assert refused.value.message_dict["email"] == [
            "This address is on the distribution list already, as ECHO."
        ]
        assert ReportRecipient.objects.filter(mission=mission).count() == 1

    @pytest.mark.parametrize(
        "fields, field",
        [
            ({"name": "", "email": "a@b.example"}, "name"),
            ({"name": "A", "email": "not an address"}, "email"),
            ({"name": "A\x00", "email": "a@b.example"}, "name"),
            ({"name": "A", "email": "a@b.example", "organisation": "x" * 201}, "organisation"),
        ],
    )
    def test_what_was_typed_is_checked_by_field(self, mission, cast, fields, field):
        with pytest.raises(ValidationError) as refused:
            recipient_add(mission, cast["leader"], **fields)
        assert field in refused.value.message_dict
        assert not ReportRecipient.objects.exists()

    @pytest.mark.parametrize("who", ["member", *NOT_WRITERS])
    def test_others_may_not_keep_the_list(self, mission, cast, who):
        if who == "hcss":
            return  # keeps the list
        kept = recipient_add(mission, cast["leader"], name="ECHO", email="desk@echo.example")

        with pytest.raises(refusal(who)) as refused:
            recipient_add(mission, cast[who], name="Mine", email="me@example.org")
        if refused.type is PermissionDenied:
            assert str(refused.value) == (
                "Only the mission leader and HCSS keep the distribution list."
            )
        with pytest.raises(refusal(who)):
            recipient_remove(mission, cast[who], kept.pk)
        assert list(ReportRecipient.objects.values_list("email", flat=True)) == [
            "desk@echo.example"
        ]

    def test_an_address_of_another_missions_list_is_not_found(self, mission, cast):
        other = make_mission("PAK", status="reporting", title="Another")
        mission_leader_appoint(other, cast["leader"])
        theirs = recipient_add(other, cast["leader"], name="X", email="x@example.org")

        with pytest.raises(MissionNotFound):
            recipient_remove(mission, cast["leader"], theirs.pk)
        assert ReportRecipient.objects.filter(pk=theirs.pk).exists()

    @pytest.mark.parametrize("status", ["in_country", "closed"])
    def test_the_list_changes_only_while_reporting_or_in_follow_up(self, mission, cast, status):
        type(mission).objects.filter(pk=mission.pk).update(status=status)

        with pytest.raises(ValidationError, match="distribution list can only be changed"):
            recipient_add(mission, cast["hcss"], name="X", email="x@example.org")


def test_the_factorys_final_report_meets_the_distribution_guards(mission):
    make_final_report(mission, recipients=2)

    assert transition_missing(mission, "distribute_report") == []
