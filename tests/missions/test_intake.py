"""Request intake on the web: the RC/HC office's form, documents, the HCT's agreement, comments,
and the whole path of a request from draft to approval through the pages."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import Country, GlobalCluster
from missions.models import Attachment, Comment, Mission, ScoringCriterion, TransitionLog
from missions.services.intake import attachment_add, mission_endorse, mission_version
from missions.services.mission import mission_transition
from tests.factories import UserFactory, make_mission

NEW_URL = reverse("missions:new")


def today() -> datetime.date:
    """Read at each use, not at import: a run that crosses midnight must not see yesterday."""
    return timezone.localdate()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def request_data(**overrides) -> dict:
    """What an RC/HC office types into a complete request for Pakistan."""
    start = today() + datetime.timedelta(days=60)
    data = {
        "title": "Flood response coordination, Sindh",
        "country": Country.objects.get(code="PAK").pk,
        "mission_type": "diagnostic",
        "issues": "Gaps between clusters at district level.",
        "objectives": "Strengthen inter-cluster coordination in Sindh.",
        "deliverables": "An action plan agreed with the HCT.",
        "preferred_start": start.isoformat(),
        "preferred_end": (start + datetime.timedelta(days=10)).isoformat(),
        "suggested_team_size": "5",
        "requested_clusters": [GlobalCluster.objects.get(code="health").pk],
        "composition_notes": "A senior coordinator.",
        "security_constraints": "Security phase III in the north.",
        "planned_evaluations": "None planned.",
        "hct_endorsed_on": (today() - datetime.timedelta(days=7)).isoformat(),
        "hct_endorsement_record": "The HCT agreed on its meeting of last week.",
        "country_contacts": "OCHA head of office, Islamabad.",
        "action": "save",
    }
    data.update(overrides)
    return data


def edit_data(mission, **overrides) -> dict:
    """What the edit page posts: the request as typed, with the version the page showed."""
    mission.refresh_from_db()
    return request_data(expected_updated_at=mission_version(mission), **overrides)


def field_errors(response, name: str) -> list[str]:
    return response.context["form"].errors.get(name, [])


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


class TestNewRequest:
    def test_rc_hc_saves_an_incomplete_draft(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, {"title": "Just a start", **_type_and_country()})
        mission = Mission.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("missions:edit", args=[mission.pk])
        assert (mission.title, mission.status, mission.country.code) == (
            "Just a start",
            "draft",
            "PAK",
        )
        assert mission.requested_by == cast["rc_hc_pakistan"]
        assert not mission.log.exists()

    def test_rc_hc_submits_a_complete_request_in_one_go(self, client, cast, mailoutbox):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, request_data(action="submit"))
        mission = Mission.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("missions:detail", args=[mission.pk])
        assert mission.status == "submitted"
        assert list(mission.requested_clusters.values_list("code", flat=True)) == ["health"]
        assert mission.log.get().user == cast["rc_hc_pakistan"]

    @pytest.mark.parametrize("who", ["hcss", "hct_pakistan", "task_team", "outsider"])
    def test_only_an_rc_hc_office_may_request(self, client, cast, who):
        client.force_login(cast[who])
        assert client.get(NEW_URL).status_code == 404
        assert client.post(NEW_URL, request_data()).status_code == 404
        assert not Mission.objects.exists()

    def test_the_country_choice_holds_only_the_users_countries(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        nepal = Country.objects.get(code="NPL").pk
        response = client.post(NEW_URL, request_data(country=nepal))
        assert response.status_code == 200
        assert field_errors(response, "country") == ["Choose one of the countries listed."]
        assert not Mission.objects.exists()

    def test_an_error_is_shown_at_its_field_and_keeps_what_was_typed(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        start = today() + datetime.timedelta(days=30)
        data = request_data(
            preferred_start=start.isoformat(),
            preferred_end=(start - datetime.timedelta(days=3)).isoformat(),
            action="submit",
        )
        response = client.post(NEW_URL, data)
        assert response.status_code == 200
        assert field_errors(response, "preferred_end") == [
            "The end of the window is before its start."
        ]
        assertContains(response, "Please correct one thing. Nothing was saved yet.")
        assertContains(response, 'href="#id_preferred_end"')
        assertContains(response, "Strengthen inter-cluster coordination in Sindh.")
        assertContains(response, "Security phase III in the north.")
        assert not Mission.objects.exists()

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("suggested_team_size", "five", "Enter the number of people as a whole number"),
            ("suggested_team_size", "0", "A team needs at least one person."),
            ("preferred_start", "31/02/2027", "Enter a real date"),
            ("hct_endorsed_on", (today() + datetime.timedelta(days=3)).isoformat(), "future"),
            ("preferred_start", (today() - datetime.timedelta(days=3)).isoformat(), "has passed"),
            ("title", "", "Give the request a short title."),
            ("mission_type", "holiday", "Select a valid choice"),
        ],
    )
    def test_bad_input_gets_a_plain_message_next_to_the_field(
        self, client, cast, field, value, message
    ):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, request_data(**{field: value}))
        assert response.status_code == 200
        assert any(message in error for error in field_errors(response, field))
        assert not Mission.objects.exists()

    def test_submitting_an_incomplete_request_saves_the_draft_and_lists_what_is_missing(
        self, client, cast
    ):
        client.force_login(cast["rc_hc_pakistan"])
        data = request_data(objectives="", planned_evaluations="", action="submit")
        response = client.post(NEW_URL, data)
        mission = Mission.objects.get()
        assert response.status_code == 200
        assert mission.status == "draft"
        assert mission.country_contacts == "OCHA head of office, Islamabad."
        checklist = [item["message"] for item in response.context["checklist"]]
        assert checklist == [
            "State the objectives of the mission.",
            "List the evaluations already planned in the country, with their dates "
            "(write 'none planned' if there are none).",
        ]
        assert field_errors(response, "objectives") == ["State the objectives of the mission."]
        assertContains(response, "Your draft is saved.")
        # The form now edits the saved draft: saving again does not make a second one.
        assert response.context["action"] == reverse("missions:edit", args=[mission.pk])

    def test_a_follow_up_names_an_earlier_mission_of_the_same_country(self, client, cast):
        earlier_nepal = make_mission("NPL", status="closed")
        earlier = make_mission("PAK", status="closed", title="Pakistan 2009")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(
            NEW_URL, request_data(mission_type="follow_up", parent=earlier_nepal.pk)
        )
        assert field_errors(response, "parent") == ["Choose one of the missions listed, or none."]
        response = client.post(NEW_URL, request_data(mission_type="diagnostic", parent=earlier.pk))
        assert (
            "Only a follow-up refers to an earlier mission" in field_errors(response, "parent")[0]
        )
        client.post(NEW_URL, request_data(mission_type="follow_up", parent=earlier.pk))
        assert Mission.objects.get(title="Flood response coordination, Sindh").parent == earlier

    def test_only_a_mission_that_took_place_can_be_followed_up(self, client, cast):
        took_place = make_mission("PAK", status="follow_up", title="Pakistan 2024")
        declined = make_mission("PAK", status="declined", title="Pakistan 2025, declined")
        planned = make_mission("PAK", status="in_planning", title="Pakistan 2026, in planning")
        client.force_login(cast["rc_hc_pakistan"])
        offered = client.get(NEW_URL).context["form"].fields["parent"].queryset
        assert took_place in offered
        assert declined not in offered and planned not in offered
        response = client.post(NEW_URL, request_data(mission_type="follow_up", parent=declined.pk))
        assert field_errors(response, "parent") == ["Choose one of the missions listed, or none."]


def _type_and_country() -> dict:
    return {"country": Country.objects.get(code="PAK").pk, "mission_type": "diagnostic"}


class TestEditRequest:
    def test_rc_hc_edits_their_draft(self, client, cast):
        mission = make_mission("PAK", requested_by=cast["rc_hc_pakistan"])
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, edit_data(mission, title="Renamed"))
        assert response.status_code == 302
        mission.refresh_from_db()
        assert mission.title == "Renamed"
        assert mission.status == "draft"

    # A draft never submitted is its country's alone: out of the global roles' scope too.
    @pytest.mark.parametrize("who", ["rc_hc_nepal", "hct_nepal", "outsider", "hcss", "gcc"])
    def test_out_of_scope_users_get_404(self, client, cast, who):
        mission = make_mission("PAK")
        client.force_login(cast[who])
        url = reverse("missions:edit", args=[mission.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, request_data(title="Hijacked")).status_code == 404
        mission.refresh_from_db()
        assert mission.title == "Mission to PAK"

    @pytest.mark.parametrize("who", ["hct_pakistan", "hcss"])
    def test_in_scope_users_who_may_not_edit_get_404_for_the_form_and_403_for_a_post(
        self, client, cast, who
    ):
        # Returned for revision (submitted once): HCSS sees it, may not edit it.
        mission = make_mission("PAK", submitted_at=timezone.now())
        client.force_login(cast[who])
        url = reverse("missions:edit", args=[mission.pk])
        assert client.get(url).status_code == 404
        response = client.post(url, request_data(title="Hijacked"))
        assertContains(response, "You may not edit this request", status_code=403)
        mission.refresh_from_db()
        assert mission.title == "Mission to PAK"

    def test_a_submitted_request_cannot_be_edited(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        response = client.post(url, request_data(title="Too late"), follow=True)
        assert response.redirect_chain == [(reverse("missions:detail", args=[mission.pk]), 302)]
        assertContains(response, "can no longer be changed")
        mission.refresh_from_db()
        assert mission.title == "Mission to PAK"

    def test_moving_a_draft_to_another_country_is_refused(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        nepal = Country.objects.get(code="NPL").pk
        response = client.post(
            reverse("missions:edit", args=[mission.pk]), request_data(country=nepal)
        )
        assert field_errors(response, "country") == ["Choose one of the countries listed."]
        mission.refresh_from_db()
        assert mission.country.code == "PAK"


class TestTwoTabs:
    """A draft edited in two tabs (or by two people): the later save is refused, nothing the
    first saved is overwritten, and what was typed stays on the form shown again."""

    def version_on(self, response) -> str:
        return response.context["form"]["expected_updated_at"].value()

    def test_the_second_save_is_refused_and_keeps_what_was_typed(self, client, cast):
        mission = make_mission("PAK", requested_by=cast["rc_hc_pakistan"])
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        first_tab = self.version_on(client.get(url))
        second_tab = self.version_on(client.get(url))
        saved = client.post(
            url, request_data(title="From the first tab", expected_updated_at=first_tab)
        )
        assert saved.status_code == 302

        response = client.post(
            url,
            request_data(
                title="From the second tab",
                objectives="Typed in the second tab.",
                expected_updated_at=second_tab,
            ),
        )

        assert response.status_code == 200
        assertContains(response, "Someone else saved this request after you opened this page")
        assertContains(response, "Your text is kept in the form below")
        form = response.context["form"]
        assert form["title"].value() == "From the second tab"
        assert form["objectives"].value() == "Typed in the second tab."
        mission.refresh_from_db()
        assert mission.title == "From the first tab"
        # Shown again with the version saved now: saving again, knowingly, goes through.
        assert self.version_on(response) == mission_version(mission)
        again = client.post(
            url,
            request_data(
                title="From the second tab", expected_updated_at=self.version_on(response)
            ),
        )
        assert again.status_code == 302
        mission.refresh_from_db()
        assert mission.title == "From the second tab"

    def test_submitting_from_a_stale_tab_is_refused_too(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        stale = self.version_on(client.get(url))
        client.post(url, request_data(title="Saved first", expected_updated_at=stale))
        response = client.post(url, request_data(action="submit", expected_updated_at=stale))
        assert response.status_code == 200
        mission.refresh_from_db()
        assert (mission.status, mission.title) == ("draft", "Saved first")
        assert not TransitionLog.objects.filter(mission=mission).exists()

    def test_the_hcts_agreement_recorded_meanwhile_is_not_overwritten(self, client, cast):
        mission = make_mission("PAK", hct_endorsement_record="")
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        seen = self.version_on(client.get(url))
        mission_endorse(
            mission, cast["hct_pakistan"], endorsed_on=today(), record="Agreed this morning."
        )
        response = client.post(
            url, request_data(hct_endorsement_record="Old text.", expected_updated_at=seen)
        )
        assert response.status_code == 200
        mission.refresh_from_db()
        assert mission.hct_endorsement_record == "Agreed this morning."

    @pytest.mark.parametrize("version", [None, "", "not a date"])
    def test_a_save_that_does_not_say_what_it_saw_is_refused(self, client, cast, version):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        data = request_data(title="Blind save")
        if version is not None:
            data["expected_updated_at"] = version
        response = client.post(reverse("missions:edit", args=[mission.pk]), data)
        assert response.status_code == 200
        mission.refresh_from_db()
        assert mission.title == "Mission to PAK"

    def test_a_new_request_shown_again_after_submit_saves_again(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, request_data(objectives="", action="submit"))
        mission = Mission.objects.get()
        assert response.status_code == 200
        assertContains(response, 'name="expected_updated_at"')
        again = client.post(
            response.context["action"],
            request_data(objectives="Now written.", expected_updated_at=self.version_on(response)),
        )
        assert again.status_code == 302
        mission.refresh_from_db()
        assert mission.objectives == "Now written."

    def test_a_draft_shown_again_after_a_failed_submit_saves_again(self, client, cast):
        mission = make_mission("PAK", objectives="")
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        response = client.post(url, edit_data(mission, objectives="", action="submit"))
        assert response.status_code == 200
        assert response.context["checklist"]
        again = client.post(
            url, request_data(objectives="Written.", expected_updated_at=self.version_on(response))
        )
        assert again.status_code == 302


class TestRevision:
    def returned(self, cast) -> Mission:
        mission = make_mission("PAK", status="submitted")
        mission_transition(
            mission, "return_for_revision", cast["hcss"], reason="Which districts exactly?"
        )
        return mission

    def test_the_questions_stand_at_the_top_of_the_form(self, client, cast):
        mission = self.returned(cast)
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(reverse("missions:edit", args=[mission.pk]))
        html = response.content.decode()
        assert html.index("Which districts exactly?") < html.index('name="title"')
        assert "revision_answer" in response.context["form"].fields

    def test_resubmitting_needs_the_answers_and_carries_them_to_hcss(
        self, client, cast, django_capture_on_commit_callbacks, mailoutbox
    ):
        mission = self.returned(cast)
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        response = client.post(url, edit_data(mission, action="submit"))
        assert response.status_code == 200
        assert field_errors(response, "revision_answer") == [
            "Answer HCSS's questions before you submit again."
        ]
        mission.refresh_from_db()
        assert mission.status == "draft"

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, edit_data(mission, action="submit", revision_answer="Sukkur and Jacobabad.")
            )
        assert response.status_code == 302
        mission.refresh_from_db()
        assert mission.status == "submitted"
        assert mission.log.last().comment == "Sukkur and Jacobabad."
        to_hcss = [m for m in mailoutbox if cast["hcss"].email in m.to]
        assert len(to_hcss) == 1
        assert "Sukkur and Jacobabad." in to_hcss[0].body


class TestDocuments:
    def test_a_pdf_is_stored_privately_and_served_only_in_scope(self, client, cast, settings):
        client.force_login(cast["rc_hc_pakistan"])
        data = request_data(hct_minutes=upload("minutes.pdf", pdf_bytes()))
        assert client.post(NEW_URL, data).status_code == 302
        attachment = Attachment.objects.get()
        assert attachment.kind == "hct_minutes"
        assert attachment.content_type == "application/pdf"
        assert attachment.original_name == "minutes.pdf"
        stored = settings.MEDIA_ROOT / attachment.file.name
        assert stored.read_bytes() == pdf_bytes()
        assert "minutes" not in attachment.file.name  # never the user's name on disk

        url = reverse("missions:attachment", args=[attachment.mission_id, attachment.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        for who in ("rc_hc_nepal", "hct_nepal", "outsider"):
            client.force_login(cast[who])
            assert client.get(url).status_code == 404
        client.force_login(cast["hct_pakistan"])
        assert client.get(url).status_code == 200

    def test_a_text_file_renamed_to_pdf_is_rejected_and_nothing_is_saved(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        fake = upload("minutes.pdf", b"Minutes of the HCT meeting, typed as plain text.\n")
        response = client.post(NEW_URL, request_data(hct_minutes=fake))
        assert response.status_code == 200
        [error] = field_errors(response, "hct_minutes")
        assert "whatever its name says" in error
        assertContains(response, "Files you chose were not kept")
        assert not Mission.objects.exists()
        assert not Attachment.objects.exists()

    def test_a_docx_is_accepted_and_a_macro_document_is_not(self, client, cast):
        mission = make_mission("PAK")
        client.force_login(cast["rc_hc_pakistan"])
        url = reverse("missions:edit", args=[mission.pk])
        ok = upload("concept.docx", docx_bytes())
        client.post(url, edit_data(mission, document=ok, document_kind="concept_note"))
        assert mission.attachments.get().content_type.endswith("wordprocessingml.document")

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<document/>")
            archive.writestr("word/vbaProject.bin", "macro")
        response = client.post(
            url, edit_data(mission, document=upload("m.docx", buffer.getvalue()))
        )
        assert "macros are not accepted" in field_errors(response, "document")[0]
        assert mission.attachments.count() == 1

    def test_a_file_over_the_size_limit_is_rejected(self, client, cast, settings):
        settings.ICSM_ATTACHMENT_MAX_BYTES = 50
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, request_data(hct_minutes=upload("m.pdf", pdf_bytes())))
        [error] = field_errors(response, "hct_minutes")
        assert "the limit is 50 bytes" in error
        assert not Mission.objects.exists()

    def test_no_more_documents_than_the_limit(self, client, cast, settings):
        settings.ICSM_ATTACHMENT_MAX_COUNT = 1
        mission = make_mission("PAK")
        attachment_add(mission, cast["rc_hc_pakistan"], upload("a.pdf", pdf_bytes()), "other")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(
            reverse("missions:edit", args=[mission.pk]),
            edit_data(mission, title="Changed", document=upload("b.pdf", pdf_bytes())),
        )
        assert "already holds 1 documents" in field_errors(response, "document")[0]
        mission.refresh_from_db()
        assert mission.title == "Mission to PAK"
        assert mission.attachments.count() == 1

    def test_an_empty_file_is_rejected(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(NEW_URL, request_data(hct_minutes=upload("m.pdf", b"")))
        assert field_errors(response, "hct_minutes") == ["This file is empty."]

    def test_the_rc_hc_removes_a_document_from_a_draft_only(
        self, client, cast, settings, django_capture_on_commit_callbacks
    ):
        mission = make_mission("PAK")
        attachment = attachment_add(
            mission, cast["rc_hc_pakistan"], upload("a.pdf", pdf_bytes()), "other"
        )
        url = reverse("missions:attachment_delete", args=[mission.pk, attachment.pk])
        client.force_login(cast["hct_pakistan"])
        response = client.post(url)
        assertContains(response, "You may not remove documents from this request", status_code=403)
        assert mission.attachments.exists()
        client.force_login(cast["rc_hc_pakistan"])
        Mission.objects.filter(pk=mission.pk).update(status="submitted")
        client.post(url)
        assert mission.attachments.exists()
        Mission.objects.filter(pk=mission.pk).update(status="draft")
        stored = settings.MEDIA_ROOT / attachment.file.name
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
        assert not mission.attachments.exists()
        assert not stored.exists()


class TestEndorsement:
    def endorse_url(self, mission) -> str:
        return reverse("missions:endorse", args=[mission.pk])

    def test_an_hct_member_records_the_agreement_with_the_minutes(self, client, cast):
        mission = make_mission("PAK", status="submitted", hct_endorsed_on=None)
        client.force_login(cast["hct_pakistan"])
        assertContains(client.get(reverse("missions:detail", args=[mission.pk])), "endorse_minutes")
        day = today() - datetime.timedelta(days=2)
        response = client.post(
            self.endorse_url(mission),
            {
                "hct_endorsed_on": day.isoformat(),
                "hct_endorsement_record": "Agreed unanimously.",
                "minutes": upload("hct.pdf", pdf_bytes()),
            },
        )
        assert response.status_code == 302
        mission.refresh_from_db()
        assert (mission.hct_endorsed_on, mission.hct_endorsement_record) == (
            day,
            "Agreed unanimously.",
        )
        assert mission.attachments.get().uploaded_by == cast["hct_pakistan"]

    def test_a_date_in_the_future_is_refused_at_the_field(self, client, cast):
        mission = make_mission("PAK", status="submitted", hct_endorsed_on=None)
        client.force_login(cast["hct_pakistan"])
        response = client.post(
            self.endorse_url(mission),
            {
                "hct_endorsed_on": (today() + datetime.timedelta(days=1)).isoformat(),
                "hct_endorsement_record": "Agreed.",
            },
        )
        assert response.status_code == 200
        assert response.context["endorse_form"].errors["hct_endorsed_on"] == [
            "The HCT's agreement cannot be in the future."
        ]
        mission.refresh_from_db()
        assert mission.hct_endorsed_on is None

    @pytest.mark.parametrize("who", ["hct_nepal", "rc_hc_nepal", "outsider"])
    def test_others_get_404(self, client, cast, who):
        mission = make_mission("PAK", status="submitted", hct_endorsed_on=None)
        client.force_login(cast[who])
        data = {"hct_endorsed_on": today().isoformat(), "hct_endorsement_record": "Agreed."}
        assert client.post(self.endorse_url(mission), data).status_code == 404
        mission.refresh_from_db()
        assert mission.hct_endorsed_on is None

    def test_no_endorsement_once_with_the_task_team(self, client, cast):
        mission = make_mission("PAK", status="with_task_team", hct_endorsed_on=None)
        client.force_login(cast["hct_pakistan"])
        assertNotContains(client.get(reverse("missions:detail", args=[mission.pk])), "endorse_")
        data = {"hct_endorsed_on": today().isoformat(), "hct_endorsement_record": "Agreed."}
        client.post(self.endorse_url(mission), data)
        mission.refresh_from_db()
        assert mission.hct_endorsed_on is None


class TestComments:
    def test_anyone_in_scope_comments(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hct_pakistan"])
        url = reverse("missions:comment", args=[mission.pk])
        response = client.post(url, {"text": "The HCT supports this strongly."})
        comment = Comment.objects.get()
        assert response.url.endswith(f"#comment-{comment.pk}")
        assert comment.author == cast["hct_pakistan"]
        client.force_login(cast["rc_hc_pakistan"])
        assertContains(
            client.get(reverse("missions:detail", args=[mission.pk])),
            "The HCT supports this strongly.",
        )

    def test_an_empty_comment_is_refused_at_the_field(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hct_pakistan"])
        response = client.post(reverse("missions:comment", args=[mission.pk]), {"text": "  "})
        assert response.status_code == 200
        assertContains(response, "Write your comment before sending it.")
        assert not Comment.objects.exists()

    def test_out_of_scope_gets_404(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["hct_nepal"])
        url = reverse("missions:comment", args=[mission.pk])
        assert client.post(url, {"text": "Hello"}).status_code == 404
        assert not Comment.objects.exists()


def test_the_whole_path_from_draft_to_approval_through_the_pages(
    client, cast, django_capture_on_commit_callbacks, mailoutbox
):
    """draft → submit → triage → return → resubmit → forward → three scores → approve."""
    rc_hc, hcss = cast["rc_hc_pakistan"], cast["hcss"]

    def as_user(user):
        client.force_login(user)
        return client

    def admin_step(mission, name, **data):
        url = reverse("admin:missions_triagerequest_transition", args=[mission.pk, name])
        mission.refresh_from_db()
        return as_user(hcss).post(url, {"expected_status": mission.status, **data})

    with django_capture_on_commit_callbacks(execute=True):
        as_user(rc_hc).post(NEW_URL, request_data(title="Sindh floods"))
    mission = Mission.objects.get(title="Sindh floods")
    edit_url = reverse("missions:edit", args=[mission.pk])

    with django_capture_on_commit_callbacks(execute=True):
        as_user(rc_hc).post(edit_url, edit_data(mission, title="Sindh floods", action="submit"))
        admin_step(mission, "start_triage")
        admin_step(mission, "return_for_revision", reason="Which districts?")
    mission.refresh_from_db()
    assert mission.status == "draft"
    assert any(rc_hc.email in m.to and "Which districts?" in m.body for m in mailoutbox)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(rc_hc).post(
            edit_url,
            edit_data(mission, title="Sindh floods", action="submit", revision_answer="Sukkur."),
        )
        assert response.status_code == 302
        admin_step(mission, "start_triage")
        change_url = reverse("admin:missions_triagerequest_change", args=[mission.pk])
        mission.refresh_from_db()
        as_user(hcss).post(
            change_url,
            {
                "triage_note": "Complete.",
                "expected_updated_at": mission_version(mission),
                "log-TOTAL_FORMS": "0",
                "log-INITIAL_FORMS": "0",
            },
        )
        admin_step(mission, "forward")
    mission.refresh_from_db()
    assert mission.status == "with_task_team"

    criteria = list(ScoringCriterion.objects.filter(active=True))
    members = [cast["task_team"]] + [UserFactory(username=f"member{i}") for i in (2, 3)]
    from clusters.services import role_grant

    for member in members[1:]:
        role_grant(member, "task_team")
    for value, member in zip((5, 4, 3), members, strict=True):
        response = as_user(member).post(
            reverse("task_team:score", args=[mission.pk]),
            {f"c{c.pk}": min(value, c.scale_max) for c in criteria},
        )
        assert response.status_code == 302
    assert mission.scores.values("member").distinct().count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(cast["task_team"]).post(
            reverse("task_team:decide", args=[mission.pk]),
            {
                "decision": "approve",
                "agreed_focus": "Links between the HCT and the clusters.",
                "draft_tor": "Review coordination in Sindh; recommend steps.",
                "expected_status": "with_task_team",
            },
        )
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.status == "approved"
    assert list(
        TransitionLog.objects.filter(mission=mission).values_list("transition", flat=True)
    ) == [
        "submit",
        "start_triage",
        "return_for_revision",
        "submit",
        "start_triage",
        "forward",
        "approve",
    ]
    decision_mail = [
        m for m in mailoutbox if "approve" in m.subject.lower() or "agreed" in m.subject.lower()
    ]
    told = {address for m in decision_mail for address in m.to}
    assert {rc_hc.email, cast["hct_pakistan"].email} <= told
    assert cast["rc_hc_nepal"].email not in told

    # Wrong roles and other countries: 404 on every page of the path, and nothing changes.
    for url in (edit_url, reverse("missions:detail", args=[mission.pk])):
        assert as_user(cast["rc_hc_nepal"]).get(url).status_code == 404
    assert (
        as_user(cast["rc_hc_nepal"])
        .post(reverse("missions:transition", args=[mission.pk, "start_planning"]))
        .status_code
        == 404
    )
    assert (
        as_user(cast["hct_nepal"]).get(reverse("task_team:request", args=[mission.pk])).status_code
        == 404
    )
