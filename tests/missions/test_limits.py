"""Input at the edges: every field filled to its limit, characters the database refuses, ids
that are not ids, redirects elsewhere. A message or a 404, never a 500; nothing lost."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Country, CrossCuttingIssue, GlobalCluster
from missions.forms.intake import TEXT_MAX_LENGTH, RequestForm
from missions.models import Comment, Mission, Notification, ScoringCriterion, TransitionLog
from missions.services.intake import COMMENT_MAX_LENGTH
from missions.services.mission import mission_transition
from missions.workflow import NUL_MESSAGE, TransitionRefused
from tests.factories import make_mission


def today() -> datetime.date:
    return timezone.localdate()


def at_limit(form_class, **fixed) -> dict:
    """Every text field of `form_class` filled to the most it accepts."""
    data = {}
    for name, field in form_class.base_fields.items():
        limit = getattr(field, "max_length", None)
        if limit is not None:
            data[name] = ("Ā" + "x" * (limit - 1))[:limit]  # a non-ASCII first character too
    data.update(fixed)
    return data


def full_request(**overrides) -> dict:
    start = today() + datetime.timedelta(days=60)
    data = at_limit(RequestForm)
    for name in RequestForm.base_fields:
        field = RequestForm.base_fields[name]
        if field.__class__.__name__ == "CharField" and getattr(field, "max_length", None) is None:
            data[name] = "y" * TEXT_MAX_LENGTH
    data.update(
        {
            "country": Country.objects.get(code="PAK").pk,
            "mission_type": "diagnostic",
            "parent": "",
            "preferred_start": start.isoformat(),
            "preferred_end": (start + datetime.timedelta(days=10)).isoformat(),
            "suggested_team_size": "30",
            "requested_clusters": list(GlobalCluster.objects.values_list("pk", flat=True)),
            "requested_issues": list(CrossCuttingIssue.objects.values_list("pk", flat=True)),
            "hct_endorsed_on": (today() - datetime.timedelta(days=7)).isoformat(),
            "action": "submit",
        }
    )
    data.pop("revision_answer", None)
    data.update(overrides)
    return data


@pytest.mark.postgres
def test_a_request_filled_to_every_limit_goes_through_to_planning_with_its_notices(
    client, cast, on_postgres, django_capture_on_commit_callbacks
):
    client.force_login(cast["rc_hc_pakistan"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("missions:new"), full_request())
    assert response.status_code == 302, response.content.decode()[:2000]
    mission = Mission.objects.get()
    assert mission.status == "submitted"
    assert len(mission.title) == Mission._meta.get_field("title").max_length
    long_text = "z" * COMMENT_MAX_LENGTH

    def step(name, user, **inputs):
        with django_capture_on_commit_callbacks(execute=True):
            mission_transition(mission, name, cast[user], comment=long_text, **inputs)

    step("start_triage", "hcss")
    Mission.objects.filter(pk=mission.pk).update(triage_note=long_text)
    step("forward", "hcss")
    client.force_login(cast["task_team"])
    criteria = ScoringCriterion.objects.filter(active=True)
    client.post(
        reverse("task_team:score", args=[mission.pk]), {f"c{c.pk}": c.scale_max for c in criteria}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("task_team:decide", args=[mission.pk]),
            {
                "decision": "approve",
                "agreed_focus": "f" * TEXT_MAX_LENGTH,
                "draft_tor": "t" * TEXT_MAX_LENGTH,
                "comment": long_text,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    mission.refresh_from_db()
    assert mission.status == "approved"
    # Every notice on the way was written, fits its columns, and went out.
    notices = Notification.objects.filter(mission=mission)
    assert notices.count() >= 4  # HCSS, the Task Team, the RC/HC office and the HCT member
    assert not notices.exclude(email_state=Notification.EmailState.SENT).exists()
    assert all(len(m.subject) <= 200 for m in mail.outbox)
    assert mission.decision_communicated_at is not None
    step("start_planning", "gcc")
    mission.refresh_from_db()
    assert mission.status == "in_planning"


@pytest.mark.postgres
def test_a_comment_at_its_limit_is_kept_and_one_over_gets_a_message(client, cast, on_postgres):
    mission = make_mission("PAK", status="submitted")
    client.force_login(cast["hct_pakistan"])
    url = reverse("missions:comment", args=[mission.pk])
    client.post(url, {"text": "c" * COMMENT_MAX_LENGTH})
    assert Comment.objects.get().text == "c" * COMMENT_MAX_LENGTH
    response = client.post(url, {"text": "c" * (COMMENT_MAX_LENGTH + 1)})
    assert response.status_code == 200
    assert "under" in response.content.decode()
    assert Comment.objects.count() == 1


class TestNulCharacters:
    """PostgreSQL refuses NUL in text; a user who pastes one gets a message, not a 500."""

    def test_a_reason_with_nul_is_refused_with_a_message_at_the_field(self, client, cast):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["task_team"])
        response = client.post(
            reverse("missions:transition", args=[mission.pk, "decline"]),
            {"reason": "Not now\x00.", "comment": ""},
        )
        assert response.status_code == 200
        assert NUL_MESSAGE in response.content.decode()
        mission.refresh_from_db()
        assert mission.status == "with_task_team"
        assert not TransitionLog.objects.exists()

    def test_a_comment_with_nul_is_refused(self, cast):
        mission = make_mission("PAK")
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"], comment="ok\x00")
        assert refused.value.missing[0].field == "comment"
        mission.refresh_from_db()
        assert mission.status == "draft"

    def test_a_form_field_with_nul_gets_a_message(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(
            reverse("missions:new"), full_request(title="Floods\x00", action="save")
        )
        assert response.status_code == 200
        assert not Mission.objects.exists()

    @pytest.mark.postgres
    def test_on_postgres_too(self, client, cast, on_postgres):
        self.test_a_reason_with_nul_is_refused_with_a_message_at_the_field(client, cast)


class TestIdsThatAreNotIds:
    @pytest.mark.parametrize("value", ["²", "٣", "1e3", "-1", "99999999999999999999", ""])
    def test_marking_a_notification_read_with_a_strange_id_changes_nothing(
        self, client, cast, value
    ):
        mission = make_mission("PAK")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        client.force_login(cast["hcss"])
        response = client.post(reverse("notifications_read"), {"id": value})
        assert response.status_code == 302
        assert Notification.objects.get().read_at is None

    @pytest.mark.parametrize(
        "path",
        [
            "/missions/{big}/",
            "/missions/{pk}/issues/{big}/",
            "/missions/{pk}/issues/{big}/briefing/",
            "/missions/{pk}/attachments/{big}/",
            "/missions/{pk}/nominations/{big}/",
            "/missions/{pk}/tor/versions/{big}/",
            "/task-team/{big}/",
            "/lessons/{big}/",
            "/documents/{big}/download/",
            "/missions/{pk}/invitations/{big}/",
        ],
    )
    def test_a_twenty_digit_id_in_a_url_is_a_404(self, client, cast, path):
        mission = make_mission("PAK", status="in_planning")
        client.force_login(cast["gcc"])
        response = client.get(path.format(pk=mission.pk, big="9" * 20))
        assert response.status_code == 404


class TestRedirects:
    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/x", "http:/\\evil.example"]
    )
    def test_marking_read_never_sends_the_user_to_another_site(self, client, cast, target):
        client.force_login(cast["hcss"])
        response = client.post(reverse("notifications_read"), {"next": target})
        assert response.status_code == 302
        assert response["Location"] == reverse("notifications")

    def test_a_page_of_this_site_is_where_it_goes_back_to(self, client, cast):
        client.force_login(cast["hcss"])
        response = client.post(reverse("notifications_read"), {"next": "/missions/?page=2"})
        assert response["Location"] == "/missions/?page=2"
