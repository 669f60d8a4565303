"""The mission's preparation: how cross-cutting issues are covered (briefing papers and their
reminders included) and logistics, against the `issues_covered` and `logistics_complete`
guards of `confirm_ready`."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import CrossCuttingIssue, Role
from clusters.services import role_grant
from missions.models import (
    ChecklistItem,
    Invitation,
    IssueCoverage,
    LogisticsEntry,
    Nomination,
    Notification,
    ReminderSent,
)
from missions.models.mission import issues_covered, logistics_complete
from missions.services.permissions import invitation_grant, mission_leader_appoint
from missions.services.preparation import (
    briefing_upload,
    coverage_overview,
    coverage_rows,
    coverage_set,
    logistics_grid,
    logistics_overview,
    logistics_set_dates,
    logistics_update,
    participant_travel_set,
    remind_briefings,
)
from missions.tasks import briefing_reminders_task
from tests.factories import UserFactory, make_member, make_mission, make_team, refusal

Mode = IssueCoverage.Mode
Status = LogisticsEntry.Status
# The refusals of those who see the mission but may not act, as the 403 page shows them.
ORGANISERS_ONLY = "Only the GCC and the mission leader change this."
UPLOADERS_ONLY = escape("Only the issue's focal points and the GCC upload its briefing.")


def today() -> datetime.date:
    """Read at each use, not at import: a run that crosses midnight must not see yesterday."""
    return timezone.localdate()


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


def issue(code: str) -> CrossCuttingIssue:
    return CrossCuttingIssue.objects.get(code=code)


def invite_issue(mission, code: str) -> Invitation:
    """The GCC invites a cross-cutting issue: its focal points then see the mission."""
    invitation, _ = Invitation.objects.get_or_create(
        mission=mission, cross_cutting_issue=issue(code)
    )
    invitation_grant(invitation)
    return invitation


def focal_point(username: str, code: str):
    user = UserFactory(username=username)
    role_grant(user, Role.CCI_FOCAL_POINT, cross_cutting_issue=issue(code))
    return user


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def office_bytes(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def mission(cast):
    """A mission in planning in Pakistan that must cover gender (invited) and age (requested
    and invited), led by the cast's leader."""
    mission = make_mission("PAK", status="in_planning", requested_issues=[issue("age")])
    invite_issue(mission, "gender")
    invite_issue(mission, "age")
    mission_leader_appoint(mission, cast["leader"])
    return mission


@pytest.fixture
def cci_age(db):
    return focal_point("cci-age", "age")


# Cross-cutting issues: coverage ---------------------------------------------------------------


class TestCoverage:
    def test_each_mode_covers_the_issue_and_the_guard_agrees(self, cast, mission):
        member = make_member(mission, "amina")
        assert len(issues_covered.check(mission)) == 2
        assert [row["covered"] for row in coverage_rows(mission, cast["gcc"])] == [False, False]

        coverage_set(mission, cast["gcc"], issue("gender"), mode=Mode.REPRESENTED, member=member)
        coverage_set(
            mission, cast["leader"], issue("age"), mode=Mode.REMOTE, remote_focal_point="  Ravi  "
        )
        assert issues_covered.check(mission) == []
        rows = coverage_rows(mission, cast["gcc"])
        assert [(r["issue"].code, r["covered"]) for r in rows] == [("age", True), ("gender", True)]
        overview = coverage_overview(mission)
        assert overview["complete"] and overview["covered"] == 2
        assert overview["by_mode"] == {"represented": 1, "remote": 1, "briefing": 0}
        age = IssueCoverage.objects.get(mission=mission, cross_cutting_issue=issue("age"))
        assert age.remote_focal_point == "Ravi" and age.updated_by == cast["leader"]

    def test_a_member_who_leaves_the_team_no_longer_covers_it(self, cast, mission):
        member = make_member(mission, "amina")
        coverage_set(mission, cast["gcc"], issue("gender"), mode=Mode.REPRESENTED, member=member)
        Nomination.objects.filter(pk=member.pk).update(status=Nomination.Status.WITHDRAWN)
        missing = [m.message for m in issues_covered.check(mission)]
        rows = {r["issue"].code: r for r in coverage_rows(mission, cast["gcc"])}
        assert any("Gender" in message for message in missing)
        assert not rows["gender"]["covered"]
        assert "no longer on it" in rows["gender"]["missing"]
        assert coverage_overview(mission)["missing"] == ["Age", "Gender"]

    def test_briefing_mode_without_a_paper_is_not_covered(self, cast, mission):
        coverage_set(mission, cast["gcc"], issue("gender"), mode=Mode.BRIEFING)
        rows = {r["issue"].code: r for r in coverage_rows(mission, cast["gcc"])}
        assert not rows["gender"]["covered"]
        assert "not been uploaded" in rows["gender"]["missing"]
        assert len(issues_covered.check(mission)) == 2

    def test_represented_needs_an_accepted_member_of_this_mission(self, cast, mission):
        other = make_mission("PAK", status="in_planning", title="Another")
        stranger = make_member(other, "stranger")
        proposed = make_member(mission, "hopeful", status=Nomination.Status.PROPOSED)
        for member in (stranger, proposed, None):
            with pytest.raises(ValidationError) as raised:
                coverage_set(
                    mission, cast["gcc"], issue("gender"), mode=Mode.REPRESENTED, member=member
                )
            assert "member" in raised.value.message_dict
        assert not IssueCoverage.objects.filter(mission=mission).exists()

    def test_remote_needs_the_focal_point_named(self, cast, mission):
        with pytest.raises(ValidationError) as raised:
            coverage_set(
                mission, cast["gcc"], issue("age"), mode=Mode.REMOTE, remote_focal_point=" "
            )
        assert "remote_focal_point" in raised.value.message_dict

    def test_an_issue_the_mission_need_not_cover_is_refused(self, cast, mission):
        with pytest.raises(ValidationError):
            coverage_set(
                mission, cast["gcc"], issue("psea"), mode=Mode.REMOTE, remote_focal_point="X"
            )

    @pytest.mark.parametrize("who", ["hct_pakistan", "cci_gender", "hcss", "outsider"])
    def test_only_the_gcc_and_the_leader_set_coverage(self, cast, mission, who):
        with pytest.raises(refusal(who)):
            coverage_set(mission, cast[who], issue("age"), mode=Mode.REMOTE, remote_focal_point="X")

    def test_coverage_is_fixed_once_the_mission_is_ready(self, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="ready")
        with pytest.raises(ValidationError, match="ready to deploy"):
            coverage_set(
                mission, cast["gcc"], issue("age"), mode=Mode.REMOTE, remote_focal_point="X"
            )

    def test_the_page_lists_each_relevant_issue_with_what_is_missing(self, client, cast, mission):
        coverage_set(
            mission, cast["gcc"], issue("age"), mode=Mode.REMOTE, remote_focal_point="Ravi"
        )
        client.force_login(cast["hct_pakistan"])
        response = client.get(reverse("missions:issues", args=[mission.pk]))
        assertContains(response, "1 of 2")
        assertContains(response, "Supports remotely: Ravi")
        assertContains(response, "Choose how it is covered")
        assertNotContains(response, "Change how")

    def test_the_gcc_sets_the_mode_on_the_page(self, client, cast, mission):
        member = make_member(mission, "amina")
        url = reverse("missions:issue_coverage", args=[mission.pk, issue("gender").pk])
        client.force_login(cast["gcc"])
        response = client.post(url, {"action": "coverage", "mode": "represented"})
        assertContains(response, "Choose the member of the team who represents it.")
        assert not IssueCoverage.objects.exists()
        response = client.post(
            url, {"action": "coverage", "mode": "represented", "member": member.pk}
        )
        assert response.status_code == 302
        coverage = IssueCoverage.objects.get()
        assert coverage.member == member and coverage.updated_by == cast["gcc"]


# Cross-cutting issues: briefing papers --------------------------------------------------------


class TestBriefing:
    def url(self, mission, code="gender"):
        return reverse("missions:issue_coverage", args=[mission.pk, issue(code).pk])

    def test_the_issues_focal_point_uploads_a_pdf_which_covers_it(
        self, client, cast, mission, settings
    ):
        client.force_login(cast["cci_gender"])
        response = client.get(self.url(mission))
        assertContains(response, "Upload the briefing paper")
        response = client.post(
            self.url(mission), {"action": "upload", "briefing": upload("gender.pdf", pdf_bytes())}
        )
        assert response.status_code == 302
        coverage = IssueCoverage.objects.get(mission=mission, cross_cutting_issue=issue("gender"))
        assert coverage.mode == Mode.BRIEFING
        assert coverage.briefing_name == "gender.pdf"
        assert coverage.briefing_content_type == "application/pdf"
        assert coverage.briefing_uploaded_by == cast["cci_gender"]
        assert (settings.MEDIA_ROOT / coverage.briefing.name).read_bytes() == pdf_bytes()
        assert "gender.pdf" not in coverage.briefing.name  # stored under a random name
        assert [m.message for m in issues_covered.check(mission)] == [
            "Cover Age: a team member, remote support or a briefing paper."
        ]

    def test_the_paper_is_downloaded_by_anyone_who_sees_the_mission(self, client, cast, mission):
        briefing_upload(mission, cast["gcc"], issue("gender"), upload("g.pdf", pdf_bytes()))
        url = reverse("missions:briefing", args=[mission.pk, issue("gender").pk])
        client.force_login(cast["hct_pakistan"])
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in response["Content-Disposition"]
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        for who in ("outsider", "rc_hc_nepal"):
            client.force_login(cast[who])
            assert client.get(url).status_code == 404
        # An issue without a paper has nothing to download.
        client.force_login(cast["gcc"])
        age = reverse("missions:briefing", args=[mission.pk, issue("age").pk])
        assert client.get(age).status_code == 404

    def test_a_docx_is_accepted_from_the_gcc(self, cast, mission):
        docx = office_bytes("word/document.xml")
        coverage = briefing_upload(mission, cast["gcc"], issue("age"), upload("age.docx", docx))
        assert coverage.briefing_content_type.endswith("wordprocessingml.document")

    @pytest.mark.parametrize(
        "name, content, says",
        [
            ("paper.pdf", b"Just some text typed in a file.\n", "not a PDF or a Word document"),
            ("paper.docx", b"PK\x03\x04 not really a zip", "not a PDF or a Word document"),
            ("paper.xlsx", office_bytes("xl/workbook.xml"), "Excel workbook"),
            ("paper.png", png_bytes(), "PNG image"),
            ("paper.pdf", b"%PDF-1.4\n" + b"x" * 2000 + b"\n%%EOF\n", "the limit is"),
            ("paper.pdf", b"", "empty"),
        ],
        ids=["renamed-text", "broken-zip", "xlsx", "png", "too-large", "empty"],
    )
    def test_bad_files_are_refused_in_plain_words_and_nothing_is_stored(
        self, client, cast, mission, settings, name, content, says
    ):
        settings.ICSM_ATTACHMENT_MAX_BYTES = 1000
        client.force_login(cast["cci_gender"])
        response = client.post(
            self.url(mission), {"action": "upload", "briefing": upload(name, content)}
        )
        assert response.status_code == 200
        assertContains(response, says)
        assertNotContains(response, "JPEG")
        assert not IssueCoverage.objects.exclude(briefing="").exists()
        assert stored_files(settings) == []

    def test_a_wrong_kind_says_what_a_briefing_must_be(self, cast, mission):
        with pytest.raises(ValidationError) as raised:
            briefing_upload(mission, cast["gcc"], issue("age"), upload("p.png", png_bytes()))
        assert raised.value.message_dict["briefing"] == [
            "This file is a PNG image. A briefing paper must be a PDF or a Word document (DOCX)."
        ]

    def test_another_issues_focal_point_is_refused(self, client, cast, mission, cci_age, settings):
        client.force_login(cci_age)
        response = client.post(
            self.url(mission, "gender"),
            {"action": "upload", "briefing": upload("x.pdf", pdf_bytes())},
        )
        assertContains(response, UPLOADERS_ONLY, status_code=403)
        with pytest.raises(PermissionDenied):
            briefing_upload(mission, cci_age, issue("gender"), upload("x.pdf", pdf_bytes()))
        assert stored_files(settings) == []
        # Their own issue is fine.
        briefing_upload(mission, cci_age, issue("age"), upload("a.pdf", pdf_bytes()))

    @pytest.mark.parametrize("who", ["leader", "hct_pakistan", "focal_health"])
    def test_others_who_see_the_mission_may_not_upload(self, client, cast, mission, who):
        make_member(mission, "amina")  # so the health focal point sees the mission
        client.force_login(cast[who])
        assert client.get(self.url(mission)).status_code == 200
        response = client.post(
            self.url(mission), {"action": "upload", "briefing": upload("x.pdf", pdf_bytes())}
        )
        assertContains(response, UPLOADERS_ONLY, status_code=403)
        assert not IssueCoverage.objects.exclude(briefing="").exists()

    def test_a_focal_point_of_an_uninvited_mission_gets_404(self, client, cast):
        other = make_mission("PAK", status="in_planning", title="Not invited")
        client.force_login(cast["cci_gender"])
        assert client.get(reverse("missions:issues", args=[other.pk])).status_code == 404

    def test_a_new_paper_replaces_the_old_file_after_commit(
        self, cast, mission, settings, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = briefing_upload(
                mission, cast["gcc"], issue("age"), upload("1.pdf", pdf_bytes())
            )
        old = settings.MEDIA_ROOT / first.briefing.name
        with django_capture_on_commit_callbacks(execute=True):
            second = briefing_upload(
                mission,
                cast["gcc"],
                issue("age"),
                upload("2.docx", office_bytes("word/document.xml")),
            )
        assert not old.exists()
        assert (settings.MEDIA_ROOT / second.briefing.name).exists()
        assert IssueCoverage.objects.get(pk=first.pk).briefing_name == "2.docx"

    def test_no_upload_once_the_mission_is_ready(self, client, cast, mission, settings):
        type(mission).objects.filter(pk=mission.pk).update(status="ready")
        client.force_login(cast["cci_gender"])
        response = client.post(
            self.url(mission), {"action": "upload", "briefing": upload("x.pdf", pdf_bytes())}
        )
        assertContains(response, "can only be changed while it is approved or in planning")
        assert stored_files(settings) == []


# Briefing reminders ---------------------------------------------------------------------------


def recipients_of(outbox) -> list[str]:
    return sorted(address for message in outbox for address in message.to)


class TestBriefingReminders:
    @property
    def START(self) -> datetime.date:
        return today() + datetime.timedelta(days=40)

    @pytest.fixture
    def mission(self, cast, cci_age):
        mission = make_mission("PAK", status="in_planning", in_country_from=self.START)
        invite_issue(mission, "gender")
        invite_issue(mission, "age")
        return mission

    def on(self, days_before: int) -> datetime.date:
        return self.START - datetime.timedelta(days=days_before)

    def test_14_and_3_days_before_once_each_even_when_run_twice(
        self, cast, mission, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_briefings(today=self.on(15)) == 0
            assert remind_briefings(today=self.on(14)) == 2
            assert remind_briefings(today=self.on(14)) == 0
            assert remind_briefings(today=self.on(13)) == 0
        assert recipients_of(mailoutbox) == ["cci-age@example.org", "cci-gender@example.org"]
        gender = next(m for m in mailoutbox if m.to == ["cci-gender@example.org"])
        assert "Gender" in gender.subject and "in 14 days" in gender.body
        assert reverse("missions:issue_coverage", args=[mission.pk, issue("gender").pk]) in (
            gender.body
        )

        with django_capture_on_commit_callbacks(execute=True):
            assert remind_briefings(today=self.on(3)) == 2
            assert remind_briefings(today=self.on(3)) == 0
            assert remind_briefings(today=self.on(1)) == 0
            assert remind_briefings(today=self.on(0)) == 0
        assert len(mailoutbox) == 4
        assert ReminderSent.objects.filter(mission=mission).count() == 2

    def test_a_missed_day_sends_one_reminder_before_the_start(
        self, cast, mission, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_briefings(today=self.on(2)) == 2
            assert remind_briefings(today=self.on(1)) == 0
        assert len(mailoutbox) == 2
        assert "in 2 days" in mailoutbox[0].body

    def test_not_once_the_mission_has_started(self, cast, mission, mailoutbox):
        assert remind_briefings(today=self.START) == 0
        assert remind_briefings(today=self.on(-1)) == 0
        assert not ReminderSent.objects.exists()

    def test_covered_issues_and_other_focal_points_are_not_reminded(
        self, cast, mission, mailoutbox, django_capture_on_commit_callbacks
    ):
        focal_point("cci-psea", "psea")  # an issue the mission need not cover
        coverage_set(mission, cast["gcc"], issue("age"), mode=Mode.REMOTE, remote_focal_point="R")
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_briefings(today=self.on(14)) == 1
        assert recipients_of(mailoutbox) == ["cci-gender@example.org"]
        assert Notification.objects.get().user == cast["cci_gender"]

    def test_a_paper_uploaded_stops_the_reminders(self, cast, mission, mailoutbox):
        briefing_upload(mission, cast["cci_gender"], issue("gender"), upload("g.pdf", pdf_bytes()))
        briefing_upload(mission, cast["gcc"], issue("age"), upload("a.pdf", pdf_bytes()))
        assert remind_briefings(today=self.on(14)) == 0

    def test_a_new_start_date_gets_its_own_reminders(self, cast, mission):
        assert remind_briefings(today=self.on(14)) == 2
        later = self.START + datetime.timedelta(days=20)
        logistics_set_dates(mission, cast["gcc"], later, later + datetime.timedelta(days=9))
        assert remind_briefings(today=later - datetime.timedelta(days=14)) == 2

    def test_the_preferred_start_counts_until_the_dates_are_set(self, cast):
        mission = make_mission("PAK", status="approved", preferred_start=self.START)
        invite_issue(mission, "gender")
        assert remind_briefings(today=self.on(14)) == 1

    def test_missions_outside_planning_are_not_reminded(self, cast):
        mission = make_mission("PAK", status="with_task_team", in_country_from=self.START)
        invite_issue(mission, "gender")
        assert remind_briefings(today=self.on(14)) == 0

    def test_the_scheduled_task_runs_for_today(self, cast, mailoutbox):
        mission = make_mission(
            "PAK",
            status="in_planning",
            in_country_from=timezone.localdate() + datetime.timedelta(days=14),
        )
        invite_issue(mission, "gender")
        assert briefing_reminders_task() == 1
        assert briefing_reminders_task() == 0


# Logistics ------------------------------------------------------------------------------------


def items(per_participant: bool) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(active=True, per_participant=per_participant))


class TestLogistics:
    def test_a_status_records_who_changed_it_and_when(self, cast, mission):
        member = make_member(mission, "amina")
        visa = ChecklistItem.objects.get(name="Visa")
        entry = logistics_update(
            mission, cast["gcc"], visa, member, status=Status.IN_PROGRESS, note="Applied."
        )
        assert entry.updated_by == cast["gcc"] and entry.updated_at is not None
        # Saving the same again is not a change: who changed it stays true.
        logistics_update(
            mission, cast["leader"], visa, member, status=Status.IN_PROGRESS, note="Applied."
        )
        entry.refresh_from_db()
        assert entry.updated_by == cast["gcc"]
        logistics_update(mission, cast["leader"], visa, member, status=Status.DONE)
        entry.refresh_from_db()
        assert (entry.status, entry.note, entry.updated_by) == ("done", "", cast["leader"])
        cell = next(
            c for c in logistics_grid(mission)["participants"][0]["cells"] if c["item"] == visa
        )
        assert cell["updated_by"] == cast["leader"] and cell["done"]

    def test_per_participant_and_mission_wide_items_are_kept_apart(self, cast, mission):
        member = make_member(mission, "amina")
        other = make_member(make_mission("PAK", status="in_planning", title="B"), "stranger")
        visa = ChecklistItem.objects.get(name="Visa")
        programme = items(per_participant=False)[0]
        for item, participant in ((visa, None), (programme, member), (visa, other)):
            with pytest.raises(ValidationError):
                logistics_update(mission, cast["gcc"], item, participant, status=Status.DONE)
        assert not LogisticsEntry.objects.exists()

    @pytest.mark.parametrize("who", ["hct_pakistan", "cci_gender", "outsider", "rc_hc_nepal"])
    def test_only_the_gcc_and_the_leader_change_logistics(self, cast, mission, who):
        with pytest.raises(refusal(who)):
            logistics_update(
                mission, cast[who], items(per_participant=False)[0], None, status=Status.DONE
            )
        with pytest.raises(refusal(who)):
            logistics_set_dates(mission, cast[who], today(), today())

    def test_logistics_complete_passes_when_everything_is_done(self, cast, mission):
        team = make_team(mission, 2)
        assert len(logistics_complete.check(mission)) == 1 + len(items(True)) + len(items(False))
        assert not logistics_overview(mission)["complete"]
        start = today() + datetime.timedelta(days=30)
        logistics_set_dates(mission, cast["gcc"], start, start + datetime.timedelta(days=10))
        for item in items(per_participant=False):
            logistics_update(mission, cast["gcc"], item, None, status=Status.DONE)
        for member in team:
            for item in items(per_participant=True):
                status = Status.NOT_NEEDED if item.name == "Visa" else Status.DONE
                logistics_update(mission, cast["leader"], item, member, status=status)
        mission.refresh_from_db()
        assert logistics_complete.check(mission) == []
        overview = logistics_overview(mission)
        assert overview["complete"] and overview["done"] == overview["total"] == 3 + 2 * 5

    def test_the_overview_counts_what_the_grid_counts(self, cast, mission):
        # The overview reads only the statuses; it must agree with the grid cell for cell.
        first, second = make_team(mission, 2)
        start = today() + datetime.timedelta(days=12)
        logistics_set_dates(mission, cast["gcc"], start, start + datetime.timedelta(days=10))
        logistics_update(mission, cast["gcc"], items(False)[0], None, status=Status.DONE)
        visa = ChecklistItem.objects.get(name="Visa")
        logistics_update(mission, cast["gcc"], visa, first, status=Status.NOT_NEEDED)
        logistics_update(mission, cast["gcc"], items(True)[1], second, status=Status.DONE)
        mission.refresh_from_db()
        for day in (today(), start):
            counts = logistics_grid(mission, today=day)["counts"]
            overview = logistics_overview(mission, today=day)
            assert {key: overview[key] for key in counts} == counts
        assert counts["overdue"] > 0 and 0 < counts["done"] < counts["total"]

    def test_overdue_and_due_soon_are_marked_in_words(self, client, cast, mission):
        member = make_member(mission, "amina")
        start = today() + datetime.timedelta(days=12)
        logistics_set_dates(mission, cast["gcc"], start, start + datetime.timedelta(days=10))
        mission.refresh_from_db()
        grid = logistics_grid(mission, today=today())
        marks = {c["item"].name: c["urgency"] for c in grid["participants"][0]["cells"]}
        assert marks["Visa"] == "overdue"  # due 14 days before: 2 days ago
        assert marks["Travel booked"] == "due_soon"  # due in 2 days
        assert marks["Security clearance"] == "due_soon"  # due in 5 days
        security = {c["item"].name: c["urgency"] for c in grid["mission_cells"]}
        assert security["Security briefing arranged"] == ""  # due in 9 days
        logistics_update(
            mission, cast["gcc"], ChecklistItem.objects.get(name="Visa"), member, status=Status.DONE
        )
        grid = logistics_grid(mission, today=today())
        assert grid["counts"]["overdue"] == 0
        assert (
            logistics_grid(mission, today=start)["counts"]["overdue"] == grid["counts"]["total"] - 1
        )
        client.force_login(cast["hct_pakistan"])
        response = client.get(reverse("missions:logistics", args=[mission.pk]))
        assertContains(response, "Due soon")
        assertNotContains(response, "Overdue</strong>")

    def test_bad_dates_are_refused_at_the_field(self, client, cast, mission):
        url = reverse("missions:logistics", args=[mission.pk])
        client.force_login(cast["gcc"])
        response = client.post(
            url,
            {
                "in_country_from": (today() + datetime.timedelta(days=30)).isoformat(),
                "in_country_to": (today() + datetime.timedelta(days=20)).isoformat(),
            },
        )
        assert response.status_code == 200
        assert response.context["dates_form"].errors == {
            "in_country_to": ["The last day in the country cannot be before the first."]
        }
        response = client.post(url, {"in_country_from": "soon", "in_country_to": ""})
        assert set(response.context["dates_form"].errors) == {"in_country_from", "in_country_to"}
        mission.refresh_from_db()
        assert mission.in_country_from is None and mission.in_country_to is None
        with pytest.raises(ValidationError) as raised:
            logistics_set_dates(mission, cast["gcc"], today(), today() - datetime.timedelta(days=1))
        assert "in_country_to" in raised.value.message_dict

    def test_a_member_row_saves_statuses_and_travel_together(self, client, cast, mission):
        member = make_member(mission, "amina")
        visa = ChecklistItem.objects.get(name="Visa")
        travel = ChecklistItem.objects.get(name="Travel booked")
        url = reverse("missions:logistics", args=[mission.pk])
        client.force_login(cast["leader"])
        prefix = f"p{member.pk}"
        data = {}
        for item in items(per_participant=True):
            data[f"{prefix}-status_{item.pk}"] = "todo"
            data[f"{prefix}-note_{item.pk}"] = ""
        data[f"{prefix}-status_{visa.pk}"] = "done"
        data[f"{prefix}-note_{travel.pk}"] = "Waiting for the dates."
        data[f"{prefix}-arrival_on"] = "2030-03-10"
        data[f"{prefix}-departure_on"] = "2030-03-01"
        data[f"{prefix}-counterpart"] = "OCHA Islamabad"
        response = client.post(url, data)
        assert response.status_code == 200
        assertContains(response, "The departure cannot be before the arrival.")
        assert not LogisticsEntry.objects.exists()

        data[f"{prefix}-departure_on"] = "2030-03-20"
        response = client.post(url, data)
        assert response.status_code == 302
        entries = {e.item.name: e for e in LogisticsEntry.objects.select_related("item")}
        assert set(entries) == {"Visa", "Travel booked"}  # unchanged cells are not written
        assert entries["Visa"].status == "done" and entries["Visa"].updated_by == cast["leader"]
        assert entries["Travel booked"].note == "Waiting for the dates."
        member.refresh_from_db()
        assert (member.arrival_on, member.departure_on, member.counterpart) == (
            datetime.date(2030, 3, 10),
            datetime.date(2030, 3, 20),
            "OCHA Islamabad",
        )
        page = client.get(url)
        assertContains(page, "Waiting for the dates.")

    def test_the_mission_wide_row_is_saved_on_the_page(self, client, cast, mission):
        url = reverse("missions:logistics", args=[mission.pk])
        client.force_login(cast["gcc"])
        data = {}
        for item in items(per_participant=False):
            data[f"mission-status_{item.pk}"] = "done"
            data[f"mission-note_{item.pk}"] = ""
        assert client.post(url, data).status_code == 302
        assert LogisticsEntry.objects.filter(participant=None, status="done").count() == 3

    def test_travel_of_someone_not_on_the_team_is_refused(self, cast, mission):
        proposed = make_member(mission, "hopeful", status=Nomination.Status.PROPOSED)
        with pytest.raises(ValidationError):
            participant_travel_set(proposed, cast["gcc"], None, None, "X")

    def test_logistics_are_fixed_once_the_mission_is_ready(self, client, cast, mission):
        type(mission).objects.filter(pk=mission.pk).update(status="ready")
        with pytest.raises(ValidationError):
            logistics_set_dates(mission, cast["gcc"], today(), today())
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:logistics", args=[mission.pk]),
            {"action": "dates", "in_country_from": "2030-01-01", "in_country_to": "2030-01-02"},
        )
        assertContains(response, "can only be changed while it is approved or in planning")


# Queries: constant whatever the team's size ---------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["logistics", "issues", "issue_coverage"])
def test_pages_run_the_same_queries_for_3_and_30_participants(client, cast, page):
    counts = []
    for size in (3, 30):
        mission = make_mission("PAK", status="in_planning", title=f"Team of {size}")
        invite_issue(mission, "gender")
        invite_issue(mission, "age")
        team = make_team(mission, size)
        coverage_set(mission, cast["gcc"], issue("gender"), mode=Mode.REPRESENTED, member=team[0])
        for member in team:
            for item in items(per_participant=True)[:2]:
                logistics_update(mission, cast["gcc"], item, member, status=Status.DONE, note="ok")
        args = [mission.pk] + ([issue("gender").pk] if page == "issue_coverage" else [])
        client.force_login(cast["gcc"])
        url = reverse(f"missions:{page}", args=args)
        client.get(url)  # warm caches (sessions, permissions' content types)
        counts.append(count_queries(client, url))
    assert counts[0] == counts[1]


def test_logistics_grid_and_overviews_run_constant_queries(cast):
    counts = []
    for size in (3, 30):
        mission = make_mission("PAK", status="in_planning", title=f"Team of {size}")
        make_team(mission, size)
        with CaptureQueriesContext(connection) as grid_queries:
            logistics_grid(mission)
        with CaptureQueriesContext(connection) as overview_queries:
            logistics_overview(mission)
            coverage_overview(mission)
        counts.append((len(grid_queries), len(overview_queries)))
    assert counts[0] == counts[1] and counts[0][0] <= 3


# Scope: out of scope is a 404 on every page and action ----------------------------------------


def _pages(mission):
    gender = issue("gender").pk
    return {
        "issues": ("get", reverse("missions:issues", args=[mission.pk]), {}),
        "issue": ("get", reverse("missions:issue_coverage", args=[mission.pk, gender]), {}),
        "briefing": ("get", reverse("missions:briefing", args=[mission.pk, gender]), {}),
        "logistics": ("get", reverse("missions:logistics", args=[mission.pk]), {}),
        "set coverage": (
            "post",
            reverse("missions:issue_coverage", args=[mission.pk, gender]),
            {"action": "coverage", "mode": "remote", "remote_focal_point": "X"},
        ),
        "upload": (
            "post",
            reverse("missions:issue_coverage", args=[mission.pk, gender]),
            {"action": "upload"},
        ),
        "dates": (
            "post",
            reverse("missions:logistics", args=[mission.pk]),
            {"action": "dates", "in_country_from": "2030-01-01", "in_country_to": "2030-01-05"},
        ),
        "mission items": (
            "post",
            reverse("missions:logistics", args=[mission.pk]),
            {"action": "mission"},
        ),
        "member row": (
            "post",
            reverse("missions:logistics", args=[mission.pk]),
            {"action": "participant", "participant": "1"},
        ),
    }


@pytest.mark.parametrize("who", ["outsider", "rc_hc_nepal", "hct_nepal"])
def test_out_of_scope_users_get_404_everywhere(client, cast, mission, who):
    briefing_upload(mission, cast["gcc"], issue("gender"), upload("g.pdf", pdf_bytes()))
    client.force_login(cast[who])
    for name, (method, url, data) in _pages(mission).items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, name
    assert IssueCoverage.objects.get().mode == Mode.BRIEFING
    assert not LogisticsEntry.objects.exists()


@pytest.mark.parametrize("who", ["hct_pakistan", "rc_hc_pakistan", "hcss", "cci_gender"])
def test_in_scope_readers_see_the_pages_but_may_not_act(client, cast, mission, who):
    briefing_upload(mission, cast["gcc"], issue("gender"), upload("g.pdf", pdf_bytes()))
    client.force_login(cast[who])
    for name, (method, url, data) in _pages(mission).items():
        response = getattr(client, method)(url, data)
        if method == "get":
            assert response.status_code == 200, name
        elif name == "upload" and who == "cci_gender":
            assert response.status_code == 200, name  # their own issue: the form says what is wrong
        elif name == "upload":
            assertContains(response, UPLOADERS_ONLY, status_code=403)
        else:
            assertContains(response, ORGANISERS_ONLY, status_code=403)
    mission.refresh_from_db()
    assert mission.in_country_from is None
    assert IssueCoverage.objects.get().mode == Mode.BRIEFING


def test_an_issue_the_mission_need_not_cover_has_no_page(client, cast, mission):
    client.force_login(cast["gcc"])
    url = reverse("missions:issue_coverage", args=[mission.pk, issue("psea").pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "coverage", "mode": "briefing"}).status_code == 404


def test_fields_for_someone_not_on_the_team_change_nothing(client, cast, mission):
    proposed = make_member(mission, "hopeful", status=Nomination.Status.PROPOSED)
    visa = ChecklistItem.objects.get(name="Visa")
    client.force_login(cast["gcc"])
    response = client.post(
        reverse("missions:logistics", args=[mission.pk]),
        {f"p{proposed.pk}-status_{visa.pk}": "done", f"p{proposed.pk}-counterpart": "X"},
    )
    assert response.status_code == 302
    assert not LogisticsEntry.objects.exists()
    proposed.refresh_from_db()
    assert proposed.counterpart == ""


# The logistics page is one form: one Save saves every part ------------------------------------


def logistics_url(mission) -> str:
    return reverse("missions:logistics", args=[mission.pk])


def page_data(response) -> dict:
    """What the browser posts back from the logistics page as shown: every part's fields, and
    the values the page showed (the hidden initial ones)."""
    context = response.context
    parts = [context["dates_form"], context["mission_form"]]
    parts += [row["form"] for row in context["grid"]["participants"]]
    data = {}
    for form in parts:
        for field in form:
            value = field.value()
            value = "" if value is None else getattr(value, "isoformat", lambda v=value: v)()
            data[field.html_name] = value
            if field.field.show_hidden_initial:
                data[field.html_initial_name] = value
    return data


class TestLogisticsPage:
    def test_the_page_has_one_form_and_one_save(self, client, cast, mission):
        make_team(mission, 2)
        client.force_login(cast["gcc"])
        html = client.get(logistics_url(mission)).content.decode()
        assert html.count(f'action="{logistics_url(mission)}"') == 1
        form = html[
            html.index('id="logistics-form"') : html.index(
                "</form>", html.index('id="logistics-form"')
            )
        ]
        assert form.count('type="submit"') == 1
        assert "Save the logistics" in html
        assert "it saves the dates, the mission-wide items and every member" in html

    def test_one_save_saves_the_dates_the_mission_wide_items_and_every_member(
        self, client, cast, mission
    ):
        amina, ben = make_member(mission, "amina"), make_member(mission, "ben")
        visa = ChecklistItem.objects.get(name="Visa")
        programme = items(per_participant=False)[0]
        start = today() + datetime.timedelta(days=40)
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            "in_country_from": start.isoformat(),
            "in_country_to": (start + datetime.timedelta(days=9)).isoformat(),
            f"mission-status_{programme.pk}": "done",
            f"p{amina.pk}-status_{visa.pk}": "in_progress",
            f"p{amina.pk}-note_{visa.pk}": "Applied in Geneva.",
            f"p{ben.pk}-counterpart": "OCHA Karachi",
        }
        response = client.post(logistics_url(mission), data)

        assert response.status_code == 302
        mission.refresh_from_db()
        assert mission.in_country_from == start
        assert LogisticsEntry.objects.get(participant=None, item=programme).status == "done"
        visa_entry = LogisticsEntry.objects.get(participant=amina, item=visa)
        assert (visa_entry.status, visa_entry.note) == ("in_progress", "Applied in Geneva.")
        ben.refresh_from_db()
        assert ben.counterpart == "OCHA Karachi"
        # Only what was changed is written: no row for the cells left as they were.
        assert LogisticsEntry.objects.count() == 2

    def test_an_error_in_one_part_saves_nothing_and_keeps_what_was_typed_everywhere(
        self, client, cast, mission
    ):
        amina = make_member(mission, "amina")
        visa = ChecklistItem.objects.get(name="Visa")
        programme = items(per_participant=False)[0]
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            "in_country_from": "2030-05-10",
            "in_country_to": "2030-05-01",  # before the first day
            f"mission-note_{programme.pk}": "Booked the venue.",
            f"p{amina.pk}-status_{visa.pk}": "done",
            f"p{amina.pk}-counterpart": "OCHA Islamabad",
        }
        response = client.post(logistics_url(mission), data)

        assert response.status_code == 200
        assertContains(response, "Nothing was saved")
        assertContains(response, "The last day in the country cannot be before the first.")
        assert response.context["dates_form"]["in_country_from"].value() == "2030-05-10"
        mission_form = response.context["mission_form"]
        assert mission_form[f"note_{programme.pk}"].value() == "Booked the venue."
        (row,) = response.context["grid"]["participants"]
        assert row["form"][f"status_{visa.pk}"].value() == "done"
        assert row["form"]["counterpart"].value() == "OCHA Islamabad"
        assert not LogisticsEntry.objects.exists()
        mission.refresh_from_db()
        amina.refresh_from_db()
        assert (mission.in_country_from, amina.counterpart) == (None, "")

    def test_a_refusal_from_the_service_rolls_back_the_parts_already_saved(
        self, client, cast, mission, monkeypatch
    ):
        from missions.views import preparation as views

        amina = make_member(mission, "amina")
        programme = items(per_participant=False)[0]
        real_save = views.logistics_save

        def refuse_members(mission, user, participant, cells, travel=None):
            if participant is None:
                return real_save(mission, user, participant, cells, travel)
            raise ValidationError({"counterpart": "Refused by the service."})

        monkeypatch.setattr(views, "logistics_save", refuse_members)
        start = today() + datetime.timedelta(days=40)
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            "in_country_from": start.isoformat(),
            "in_country_to": start.isoformat(),
            f"mission-status_{programme.pk}": "done",
            f"p{amina.pk}-counterpart": "OCHA Islamabad",
        }
        response = client.post(logistics_url(mission), data)

        assert response.status_code == 200
        (row,) = response.context["grid"]["participants"]
        assert row["form"].errors["counterpart"] == ["Refused by the service."]
        assert row["form"]["counterpart"].value() == "OCHA Islamabad"
        mission.refresh_from_db()
        assert mission.in_country_from is None  # the dates, saved first, are rolled back
        assert not LogisticsEntry.objects.exists()

    def test_a_member_who_left_the_team_since_the_page_was_shown_is_left_alone(
        self, client, cast, mission
    ):
        amina = make_member(mission, "amina")
        programme = items(per_participant=False)[0]
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            f"mission-status_{programme.pk}": "done",
            f"p{amina.pk}-counterpart": "OCHA Islamabad",
        }
        Nomination.objects.filter(pk=amina.pk).update(status=Nomination.Status.WITHDRAWN)
        response = client.post(logistics_url(mission), data)
        assert response.status_code == 302
        assert LogisticsEntry.objects.get().item == programme
        amina.refresh_from_db()
        assert amina.counterpart == ""

    def test_a_save_does_not_undo_what_someone_else_saved_since_the_page_was_shown(
        self, client, cast, mission
    ):
        amina = make_member(mission, "amina")
        visa = ChecklistItem.objects.get(name="Visa")
        travel = ChecklistItem.objects.get(name="Travel booked")
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            f"p{amina.pk}-note_{travel.pk}": "Waiting for the dates.",
        }
        logistics_update(mission, cast["leader"], visa, amina, status=Status.DONE)
        participant_travel_set(amina, cast["leader"], None, None, "Set by the leader")

        response = client.post(logistics_url(mission), data)

        assert response.status_code == 302
        assert LogisticsEntry.objects.get(participant=amina, item=visa).status == "done"
        assert LogisticsEntry.objects.get(participant=amina, item=travel).note == (
            "Waiting for the dates."
        )
        amina.refresh_from_db()
        assert amina.counterpart == "Set by the leader"

    def test_saving_without_the_dates_keeps_them_unset(self, client, cast, mission):
        programme = items(per_participant=False)[0]
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            f"mission-status_{programme.pk}": "done"
        }
        assert client.post(logistics_url(mission), data).status_code == 302
        mission.refresh_from_db()
        assert mission.in_country_from is None
        assert LogisticsEntry.objects.get().status == "done"

    def test_dates_once_set_cannot_be_emptied(self, client, cast, mission):
        start = today() + datetime.timedelta(days=30)
        logistics_set_dates(mission, cast["gcc"], start, start + datetime.timedelta(days=5))
        client.force_login(cast["gcc"])
        data = page_data(client.get(logistics_url(mission))) | {
            "in_country_from": "",
            "in_country_to": "",
        }
        response = client.post(logistics_url(mission), data)
        assert response.status_code == 200
        assert set(response.context["dates_form"].errors) == {"in_country_from", "in_country_to"}
        mission.refresh_from_db()
        assert mission.in_country_from == start
