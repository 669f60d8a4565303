"""The mission report on the web: who sees and does what, the edit form with its findings
rows (more rows without JavaScript), errors next to what was typed with nothing lost, the
version page with its diff, the distribution list, the mission page's link, and query counts
that do not grow with the findings, versions and addresses."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import CrossCuttingIssue, GlobalCluster
from missions.forms.report import EXTRA_ROWS, FINDINGS_PREFIX
from missions.models import (
    Invitation,
    ReportFinding,
    ReportRecipient,
    ReportVersion,
)
from missions.selectors.report import findings_of, report_current, report_final, report_versions
from missions.services.permissions import invitation_grant, mission_leader_appoint
from missions.services.report import report_mark_final, report_save, report_start
from missions.workflow import NUL_MESSAGE
from tests.factories import make_final_report, make_invitation, make_member, make_mission

SECTIONS = ("summary", "context", "request", "programme", "places", "people_met", "conclusions")
CHOOSABLE = [name for name in SECTIONS if name != "people_met"]


def url(name: str, mission, *args) -> str:
    return reverse(f"missions:{name}", args=[mission.pk, *args])


@pytest.fixture
def mission(cast):
    """A mission to Pakistan in reporting: Health wanted and invited, a WASH member on the
    team, the cast's leader leading, Gender's focal point invited."""
    mission = make_mission(
        "PAK",
        status="reporting",
        title="Pakistan flood coordination",
        in_country_from=datetime.date(2031, 3, 3),
        in_country_to=datetime.date(2031, 3, 13),
    )
    mission.requested_clusters.add(GlobalCluster.objects.get(code="health"))
    make_invitation(mission, "health")
    cast["member"] = make_member(mission, "member-wash", cluster="wash").participant
    mission_leader_appoint(mission, cast["leader"])
    invitation_grant(
        Invitation.objects.create(
            mission=mission, cross_cutting_issue=CrossCuttingIssue.objects.get(code="gender")
        )
    )
    return mission


@pytest.fixture
def report(mission, cast):
    return report_start(mission, cast["leader"])


def area(kind: str, code: str) -> str:
    model = GlobalCluster if kind == "cluster" else CrossCuttingIssue
    return f"{kind}-{model.objects.get(code=code).pk}"


def save_data(version: ReportVersion, findings=None, extra=EXTRA_ROWS, **changes) -> dict:
    """What the edit form posts back: the version's text, its visibility and its findings (or
    `findings`: (area, text, internal) rows), `extra` empty rows, with `changes`."""
    data = {name: getattr(version, name) for name in SECTIONS}
    for name in CHOOSABLE:
        if not version.is_public(name):
            data[f"internal_{name}"] = "on"
    rows = findings
    if rows is None:
        rows = [
            (
                f"cluster-{f.cluster_id}"
                if f.cluster_id
                else f"issue-{f.issue_id}"
                if f.issue_id
                else "",
                f.text,
                f.internal,
            )
            for f in findings_of(version)
        ]
    p = FINDINGS_PREFIX
    data.update(
        {
            f"{p}-TOTAL_FORMS": str(len(rows) + extra),
            f"{p}-INITIAL_FORMS": str(len(rows)),
            f"{p}-MIN_NUM_FORMS": "0",
            f"{p}-MAX_NUM_FORMS": "1000",
        }
    )
    for index, (where, text, internal) in enumerate(rows):
        data[f"{p}-{index}-area"] = where
        data[f"{p}-{index}-text"] = text
        if internal:
            data[f"{p}-{index}-internal"] = "on"
    for index in range(len(rows), len(rows) + extra):
        data[f"{p}-{index}-area"] = ""
        data[f"{p}-{index}-text"] = ""
    data.update(base_number=version.number, change_note="Edited.")
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# Who sees what --------------------------------------------------------------------------------

READERS = ["rc_hc_pakistan", "hct_pakistan", "task_team", "gcc", "focal_health", "cci_gender"]
WRITERS = ["leader", "member"]
OUT_OF_SCOPE = ["rc_hc_nepal", "hct_nepal", "outsider"]


class TestWhoSeesWhat:
    @pytest.mark.parametrize("who", [*READERS, *WRITERS, "hcss"])
    def test_whoever_sees_the_mission_reads_the_report(self, client, cast, mission, report, who):
        client.force_login(cast[who])
        report_save(
            mission,
            cast["leader"],
            base_number=1,
            change_note="Findings.",
            summary="The team met the HCT.",
            findings=[
                {"text": "Health is strong.", "cluster": GlobalCluster.objects.get(code="health")},
                {"text": "A named officer was threatened.", "internal": True},
            ],
        )

        response = client.get(url("report", mission))

        assertContains(response, "The team met the HCT.")
        assertContains(response, "Health is strong.")
        assertContains(response, "A named officer was threatened.")
        assertContains(response, "Internal")
        assertContains(response, url("report_version", mission, 1))
        assert (response.context["form"] is not None) == (who in WRITERS)
        assert (who == "leader") == ("Mark version 2 final" in response.content.decode())
        # The list, with its addresses, is for the team, the leader and HCSS.
        assert (response.context["recipients"] is not None) == (who in [*WRITERS, "hcss"])
        assert (response.context["may_keep_list"]) == (who in ["leader", "hcss"])

    @pytest.mark.parametrize("who", OUT_OF_SCOPE)
    def test_out_of_scope_every_page_and_action_is_a_404(self, client, cast, mission, report, who):
        client.force_login(cast[who])
        recipient = ReportRecipient.objects.create(mission=mission, name="X", email="x@e.example")

        assert client.get(url("report", mission)).status_code == 404
        assert client.get(url("report_version", mission, 1)).status_code == 404
        for name in ("report_start", "report_save", "report_final", "recipient_add"):
            assert client.post(url(name, mission), {}).status_code == 404
        assert client.post(url("recipient_remove", mission, recipient.pk)).status_code == 404

    def test_before_the_report_exists_the_team_may_start_it(self, client, cast, mission):
        client.force_login(cast["member"])

        page = client.get(url("report", mission))
        assertContains(page, "Start the report")
        response = client.post(url("report_start", mission))

        assertRedirects(response, url("report", mission))
        assert report_current(mission).author == cast["member"]

    def test_the_pdf_link_is_there_when_the_reports_page_is(self, client, cast, mission, report):
        client.force_login(cast["leader"])

        response = client.get(url("report", mission))

        try:
            pdf = reverse("reports:report", args=[mission.pk])
        except NoReverseMatch:
            assertNotContains(response, "Make or download the PDF")
        else:
            assertContains(response, pdf)

    def test_a_version_whose_author_and_finaliser_are_gone_reads_as_such(
        self, client, cast, mission
    ):
        make_final_report(mission)  # no author, nobody recorded as finalising it
        client.force_login(cast["rc_hc_pakistan"])

        page = client.get(url("report", mission))
        version = client.get(url("report_version", mission, 1))

        assertContains(page, "Marked final")
        assertContains(version, "Saved on")

    def test_an_unknown_version_is_a_404(self, client, cast, mission, report):
        client.force_login(cast["leader"])

        assert client.get(url("report_version", mission, 2)).status_code == 404


class TestRefusals:
    @pytest.mark.parametrize("who", [*READERS, "hcss"])
    def test_readers_may_not_write(self, client, cast, mission, report, who):
        client.force_login(cast[who])
        data = save_data(report_current(mission), summary="Mine.")

        for name in ("report_start", "report_save"):
            response = client.post(url(name, mission), data)
            assert response.status_code == 403
            assertContains(
                response,
                escape("Only the mission's leader and its team write the report."),
                status_code=403,
            )
        response = client.post(url("report_final", mission), {"number": 1})
        assertContains(response, "Only the mission leader marks", status_code=403)
        assert report_versions(mission).count() == 1
        assert report_final(mission) is None

    def test_a_team_member_may_not_mark_it_final(self, client, cast, mission, report):
        client.force_login(cast["member"])

        response = client.post(url("report_final", mission), {"number": 1})

        assertContains(response, "Only the mission leader marks", status_code=403)

    @pytest.mark.parametrize("who", ["member", *READERS])
    def test_only_the_leader_and_hcss_keep_the_list(self, client, cast, mission, who):
        client.force_login(cast[who])
        kept = ReportRecipient.objects.create(mission=mission, name="X", email="x@e.example")

        add = client.post(url("recipient_add", mission), {"name": "Y", "email": "y@e.example"})
        remove = client.post(url("recipient_remove", mission, kept.pk))

        for response in (add, remove):
            assertContains(
                response,
                "Only the mission leader and HCSS keep the distribution list.",
                status_code=403,
            )
        assert list(ReportRecipient.objects.values_list("email", flat=True)) == ["x@e.example"]

    def test_get_on_an_action_is_not_allowed(self, client, cast, mission, report):
        client.force_login(cast["leader"])

        assert client.get(url("report_save", mission)).status_code == 405


# Writing --------------------------------------------------------------------------------------


class TestWriting:
    def test_the_leader_saves_sections_visibility_and_findings(self, client, cast, mission, report):
        client.force_login(cast["leader"])
        data = save_data(
            report_current(mission),
            findings=[
                (area("cluster", "wash"), "WASH lacks partners.", False),
                ("", "Security incident near Sukkur.", True),
            ],
            summary="A short summary.",
            internal_conclusions="on",
            change_note="First findings.",
        )

        response = client.post(url("report_save", mission), data)

        assertRedirects(response, url("report", mission))
        version = report_current(mission)
        assert (version.number, version.summary, version.change_note) == (
            2,
            "A short summary.",
            "First findings.",
        )
        assert not version.is_public("conclusions")
        assert [(f.cluster_id is not None, f.text, f.internal) for f in findings_of(version)] == [
            (True, "WASH lacks partners.", False),
            (False, "Security incident near Sukkur.", True),
        ]

    def test_the_form_shows_the_current_findings_and_empty_rows(
        self, client, cast, mission, report
    ):
        report_save(
            mission,
            cast["leader"],
            base_number=1,
            change_note="x",
            findings=[{"text": "One."}, {"text": "Two."}],
        )
        client.force_login(cast["member"])

        formset = client.get(url("report", mission)).context["formset"]

        assert len(formset.forms) == 2 + EXTRA_ROWS
        assert [f.initial.get("text") for f in formset.forms[:2]] == ["One.", "Two."]

    def test_emptying_a_findings_text_removes_it(self, client, cast, mission, report):
        report_save(
            mission, cast["leader"], base_number=1, change_note="x", findings=[{"text": "Gone."}]
        )
        client.force_login(cast["leader"])

        data = save_data(report_current(mission), findings=[("", "", False)])
        response = client.post(url("report_save", mission), data)

        assertRedirects(response, url("report", mission))
        assert list(findings_of(report_current(mission))) == []

    def test_more_rows_keeps_everything_typed_and_saves_nothing(
        self, client, cast, mission, report
    ):
        client.force_login(cast["member"])
        data = save_data(
            report_current(mission),
            findings=[(area("issue", "gender"), "Typed, not saved.", True)],
            extra=1,
            summary="My summary, typed.",
            change_note="",
            more_rows="1",
        )

        response = client.post(url("report_save", mission), data)

        assert response.status_code == 200
        formset = response.context["formset"]
        assert len(formset.forms) == 2 + EXTRA_ROWS
        assertContains(response, "My summary, typed.")
        assertContains(response, "Typed, not saved.")
        assert formset.forms[0].initial["internal"] is True
        assert formset.forms[0].initial["area"] == area("issue", "gender")
        assertNotContains(response, "Say in a few words")  # no errors yet
        assert report_versions(mission).count() == 1
        assert not ReportFinding.objects.exists()

    def test_an_error_shows_next_to_its_field_and_nothing_typed_is_lost(
        self, client, cast, mission, report
    ):
        client.force_login(cast["leader"])
        data = save_data(
            report_current(mission),
            findings=[("", "A finding typed.", True)],
            summary="A summary typed.",
            change_note="",
        )

        response = client.post(url("report_save", mission), data)

        assert response.status_code == 400
        form = response.context["form"]
        assert "change_note" in form.errors
        assertContains(response, "Say in a few words what you changed.", status_code=400)
        assertContains(response, "A summary typed.", status_code=400)
        assertContains(response, "A finding typed.", status_code=400)
        assert response.context["formset"].forms[0]["internal"].value() is True
        assert report_versions(mission).count() == 1

    def test_a_finding_about_a_cluster_not_of_the_mission_is_refused_at_its_row(
        self, client, cast, mission, report
    ):
        client.force_login(cast["leader"])
        data = save_data(
            report_current(mission),
            findings=[("", "Fine.", False), (area("cluster", "education"), "Not ours.", False)],
        )

        response = client.post(url("report_save", mission), data)

        assert response.status_code == 400
        formset = response.context["formset"]
        assert "area" in formset.forms[1].errors
        assertContains(response, "Not ours.", status_code=400)
        assert report_versions(mission).count() == 1

    def test_a_nul_character_is_refused_next_to_the_finding(self, client, cast, mission, report):
        client.force_login(cast["leader"])
        data = save_data(report_current(mission), findings=[("", "Bad \x00 text.", False)])

        response = client.post(url("report_save", mission), data)

        assert response.status_code == 400
        assert response.context["formset"].forms[0].errors["text"] == [NUL_MESSAGE]
        assert report_versions(mission).count() == 1

    def test_the_services_refusal_of_findings_is_shown_above_the_rows_and_the_rest_kept(
        self, client, cast, mission, report, monkeypatch
    ):
        def refuse(*args, **kwargs):
            raise ValidationError(
                {"findings": ["Finding 2: choose one of the mission's clusters."], "summary": "No."}
            )

        monkeypatch.setattr("missions.views.report.report_save", refuse)
        client.force_login(cast["leader"])
        data = save_data(report_current(mission), findings=[("", "Kept.", False)], summary="S.")

        response = client.post(url("report_save", mission), data)

        assert response.status_code == 400
        assert response.context["findings_errors"] == [
            "Finding 2: choose one of the mission's clusters."
        ]
        assert response.context["form"].errors["summary"] == ["No."]
        assertContains(response, "Finding 2: choose one of the mission", status_code=400)
        assertContains(response, "Kept.", status_code=400)

    def test_a_stale_save_keeps_the_text_and_is_based_on_the_current_version(
        self, client, cast, mission, report
    ):
        form_data = save_data(report_current(mission), summary="The member's summary.")
        report_save(mission, cast["leader"], base_number=1, change_note="x", summary="Leader's.")
        client.force_login(cast["member"])

        response = client.post(url("report_save", mission), form_data)

        assert response.status_code == 400
        assertContains(response, "saved version 2 of the report", status_code=400)
        assertContains(response, "Nothing was saved", status_code=400)
        assertContains(response, "The member&#x27;s summary.", status_code=400)
        assert response.context["form"]["base_number"].value() == "2"
        assert report_current(mission).summary == "Leader's."

    def test_the_leader_marks_it_final_and_a_new_version_is_a_draft(
        self, client, cast, mission, report
    ):
        client.force_login(cast["leader"])

        response = client.post(url("report_final", mission), {"number": 1})

        assertRedirects(response, url("report", mission))
        assert report_final(mission).number == 1
        page = client.get(url("report", mission))
        assertContains(page, "Marked final by")
        client.post(url("report_save", mission), save_data(report_current(mission), summary="x"))
        assert report_final(mission) is None

    def test_a_closed_missions_report_is_read_only(self, client, cast, mission, report):
        type(mission).objects.filter(pk=mission.pk).update(status="closed")
        client.force_login(cast["leader"])

        page = client.get(url("report", mission))
        response = client.post(
            url("report_save", mission), save_data(report_current(mission), summary="x")
        )

        assert page.context["form"] is None
        assertContains(page, "read-only")
        assert response.status_code == 400
        assertContains(response, "it is now closed", status_code=400)


class TestVersionPage:
    def test_an_earlier_version_is_readable_with_its_diff(self, client, cast, mission, report):
        report_save(
            mission,
            cast["leader"],
            base_number=1,
            change_note="Findings.",
            summary="Line one\nLine two",
            findings=[{"text": "Overall."}],
        )
        report_save(
            mission,
            cast["leader"],
            base_number=2,
            change_note="Sharper.",
            summary="Line one\nLine 2",
            internal_sections=["summary"],
            findings=[{"text": "Overall, sharper."}],
        )
        client.force_login(cast["hct_pakistan"])

        response = client.get(url("report_version", mission, 3))
        earlier = client.get(url("report_version", mission, 2))

        assertContains(response, "What changed since version 2")
        assertContains(response, "<del>Line two</del>", html=True)
        assertContains(response, "<ins>Line 2</ins>", html=True)
        assertContains(response, "Summary: now internal (it was public).")
        assertContains(response, "<del>Inter-cluster coordination: Overall.</del>", html=True)
        assertContains(response, "Current draft")
        assertContains(earlier, "Earlier version")
        assertContains(earlier, "Line two")


# The distribution list ------------------------------------------------------------------------


class TestDistributionList:
    @pytest.mark.parametrize("who", ["leader", "hcss"])
    def test_adding_and_removing_an_address(self, client, cast, mission, who):
        client.force_login(cast[who])

        response = client.post(
            url("recipient_add", mission),
            {"name": "ECHO desk", "organisation": "ECHO", "email": "Desk@ECHO.example"},
        )

        assertRedirects(response, url("report", mission) + "#distribution")
        recipient = ReportRecipient.objects.get()
        assert (recipient.email, recipient.added_by) == ("desk@echo.example", cast[who])
        page = client.get(url("report", mission))
        assertContains(page, "desk@echo.example")
        assertContains(page, url("recipient_remove", mission, recipient.pk))

        response = client.post(url("recipient_remove", mission, recipient.pk))

        assertRedirects(response, url("report", mission) + "#distribution")
        assert not ReportRecipient.objects.exists()

    def test_a_duplicate_is_refused_next_to_the_address_and_the_typing_kept(
        self, client, cast, mission
    ):
        ReportRecipient.objects.create(mission=mission, name="ECHO", email="desk@echo.example")
        client.force_login(cast["leader"])

        response = client.post(
            url("recipient_add", mission),
            {"name": "Another name", "organisation": "DG ECHO", "email": "DESK@echo.example"},
        )

        assert response.status_code == 400
        form = response.context["recipient_form"]
        assert form.errors["email"] == [
            "This address is on the distribution list already, as ECHO."
        ]
        assertContains(response, 'value="Another name"', status_code=400)
        assertContains(response, 'value="DG ECHO"', status_code=400)
        assert ReportRecipient.objects.count() == 1

    def test_an_invalid_address_is_refused_next_to_it(self, client, cast, mission):
        client.force_login(cast["hcss"])

        response = client.post(url("recipient_add", mission), {"name": "", "email": "nope"})

        assert response.status_code == 400
        assert set(response.context["recipient_form"].errors) == {"name", "email"}
        assert not ReportRecipient.objects.exists()

    def test_another_missions_address_is_a_404(self, client, cast, mission):
        other = make_mission("PAK", status="reporting", title="Another")
        theirs = ReportRecipient.objects.create(mission=other, name="X", email="x@e.example")
        client.force_login(cast["leader"])

        response = client.post(url("recipient_remove", mission, theirs.pk))

        assert response.status_code == 404
        assert ReportRecipient.objects.filter(pk=theirs.pk).exists()

    def test_outside_reporting_the_list_is_read_only(self, client, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="closed")
        ReportRecipient.objects.create(mission=mission, name="X", email="x@e.example")
        client.force_login(cast["leader"])

        page = client.get(url("report", mission))
        response = client.post(
            url("recipient_add", mission), {"name": "Y", "email": "y@example.org"}
        )

        assert page.context["may_keep_list"] is False
        assertNotContains(page, "Add to the list")
        assert response.status_code == 400
        assertContains(response, "can only be changed while", status_code=400)


# The mission page -----------------------------------------------------------------------------


class TestMissionPage:
    @pytest.mark.parametrize("status", ["reporting", "follow_up"])
    def test_it_links_to_the_report_while_reporting(self, client, cast, mission, status):
        type(mission).objects.filter(pk=mission.pk).update(status=status)
        client.force_login(cast["rc_hc_pakistan"])

        assertContains(client.get(reverse("missions:detail", args=[mission.pk])), "Mission report")

    def test_a_closed_mission_links_to_its_report_only_if_it_has_one(self, client, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="closed")
        client.force_login(cast["rc_hc_pakistan"])
        detail = reverse("missions:detail", args=[mission.pk])

        assertNotContains(client.get(detail), url("report", mission))
        type(mission).objects.filter(pk=mission.pk).update(status="reporting")
        report_start(mission, cast["leader"])
        type(mission).objects.filter(pk=mission.pk).update(status="closed")
        assertContains(client.get(detail), url("report", mission))

    def test_a_mission_in_planning_does_not(self, client, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="in_planning")
        client.force_login(cast["gcc"])

        assertNotContains(client.get(reverse("missions:detail", args=[mission.pk])), "/report/")


# Query counts ---------------------------------------------------------------------------------


def grow(mission, leader, count: int) -> None:
    """`count` findings, versions and addresses in all."""
    version = report_current(mission)
    have = report_versions(mission).count()
    for number in range(have + 1, count + 1):
        report_save(
            mission,
            leader,
            base_number=number - 1,
            change_note=f"Version {number}.",
            summary=f"Summary {number}.",
        )
    version = report_current(mission)
    ReportFinding.objects.filter(version=version).delete()
    wash = GlobalCluster.objects.get(code="wash")
    gender = CrossCuttingIssue.objects.get(code="gender")
    ReportFinding.objects.bulk_create(
        ReportFinding(
            version=version,
            position=index,
            cluster=wash if index % 3 == 0 else None,
            issue=gender if index % 3 == 1 else None,
            text=f"Finding {index}.",
            internal=index % 2 == 0,
        )
        for index in range(count)
    )
    listed = ReportRecipient.objects.filter(mission=mission).count()
    ReportRecipient.objects.bulk_create(
        ReportRecipient(mission=mission, name=f"R {i}", email=f"r{i}@e.example", added_by=leader)
        for i in range(listed, count)
    )


@pytest.mark.parametrize("who", ["leader", "hcss"])
def test_the_report_page_reads_a_constant_number_of_queries(client, cast, mission, report, who):
    client.force_login(cast[who])
    address = url("report", mission)
    grow(mission, cast["leader"], 5)
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        response = client.get(address)
    assert len(response.context["versions"]) == 5
    grow(mission, cast["leader"], 50)

    with CaptureQueriesContext(connection) as many:
        response = client.get(address)

    assert len(response.context["versions"]) == 50
    assert len(response.context["recipients"]) == 50
    assert sum(len(g["findings"]) for g in response.context["finding_groups"]) == 50
    if who == "leader":
        assert len(response.context["formset"].forms) == 50 + EXTRA_ROWS
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_version_page_reads_a_constant_number_of_queries(
    client, cast, mission, report, django_assert_max_num_queries
):
    client.force_login(cast["hct_pakistan"])
    grow(mission, cast["leader"], 5)
    address = url("report_version", mission, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(address)
    grow(mission, cast["leader"], 50)
    address = url("report_version", mission, 50)

    with django_assert_max_num_queries(len(few)):
        response = client.get(address)

    assert sum(len(g["findings"]) for g in response.context["finding_groups"]) == 50


def test_saving_with_many_findings_reads_a_constant_number_of_queries(
    client, cast, mission, report, django_assert_num_queries
):
    client.force_login(cast["leader"])
    grow(mission, cast["leader"], 5)
    with CaptureQueriesContext(connection) as few:
        client.post(url("report_save", mission), save_data(report_current(mission), summary="a"))
    grow(mission, cast["leader"], 50)
    report_mark_final(mission, cast["leader"], number=report_current(mission).number)

    with django_assert_num_queries(len(few) + 1):  # and the final mark cleared
        response = client.post(
            url("report_save", mission), save_data(report_current(mission), summary="b")
        )

    assert response.status_code == 302
    assert findings_of(report_current(mission)).count() == 50
