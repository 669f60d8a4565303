"""The team: the GCC invites clusters and cross-cutting issues, their focal points share the
invitation and nominate participants, the GCC accepts or declines each with a reason and
confirms the team. Out of scope is a 404, everywhere."""

import datetime
import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation, Role
from clusters.services import role_grant
from missions.models import Election, Grade, Invitation, Mission, Nomination, Notification
from missions.selectors.missions import missions_visible_to
from missions.services.election import election_close, election_open, election_stand, election_vote
from missions.services.notices import notification_send
from missions.services.team import (
    account_invitation_send,
    invitation_share,
    invitations_send,
    nomination_create,
    nomination_decide,
    nomination_withdraw,
    nominations_visible_to,
    team_confirm,
    team_overview,
    team_summary,
)
from missions.workflow import MissionNotFound
from tests.factories import UserFactory, make_invitation, make_member, make_mission, make_team

User = get_user_model()


def cluster(code: str) -> GlobalCluster:
    return GlobalCluster.objects.get(code=code)


def issue(code: str) -> CrossCuttingIssue:
    return CrossCuttingIssue.objects.get(code=code)


def who() -> Organisation:
    return Organisation.objects.get(acronym="WHO")


@pytest.fixture
def mission(cast):
    """An approved mission to Pakistan asking for Health, WASH and a gender adviser."""
    mission = make_mission("PAK", status="approved", title="Pakistan floods support")
    mission.requested_clusters.set([cluster("health"), cluster("wash")])
    mission.requested_issues.set([issue("gender")])
    return mission


@pytest.fixture
def focal_wash(cast):
    user = UserFactory(username="focal-wash")
    role_grant(user, Role.CLUSTER_FOCAL_POINT, global_cluster=cluster("wash"))
    return user


@pytest.fixture
def health(mission):
    """The Health cluster's invitation to the mission."""
    return make_invitation(mission, "health")


def nomination_data(mission: Mission, invitation: Invitation, **overrides) -> dict:
    start = mission.preferred_start
    data = {
        "invitation": invitation.pk,
        "full_name": "Amina Khan",
        "email": "amina.khan@ngo.example",
        "agency": who().pk,
        "clusters": [invitation.global_cluster_id],
        "years_in_field": "12",
        "previous_missions": "2",
        "languages": "English, Urdu",
        "grade": str(Grade.P4),
        "available_from": start.isoformat(),
        "available_to": (start + datetime.timedelta(days=20)).isoformat(),
        "experience": "Health cluster coordinator in two sudden-onset emergencies.",
    }
    data.update(overrides)
    return data


def service_fields(mission: Mission, **overrides) -> dict:
    start = mission.preferred_start
    fields = {
        "full_name": "Amina Khan",
        "email": "amina.khan@ngo.example",
        "agency": who(),
        "clusters": [cluster("health")],
        "years_in_field": 12,
        "previous_missions": 2,
        "languages": "English, Urdu",
        "grade": Grade.P4,
        "available_from": start,
        "available_to": start + datetime.timedelta(days=20),
    }
    fields.update(overrides)
    return fields


def nominate(mission, invitation, user, **overrides) -> Nomination:
    return nomination_create(mission, invitation, user, **service_fields(mission, **overrides))


def url(name: str, *args) -> str:
    return reverse(f"missions:{name}", args=args)


def recipients_of(mailoutbox) -> set[str]:
    return {address for message in mailoutbox for address in message.to}


REASON = "Called back to headquarters for the whole mission window."


def withdraw(nomination, user, reason: str = REASON) -> Nomination:
    return nomination_withdraw(nomination, user, reason=reason)


# Inviting -----------------------------------------------------------------------------------------


class TestInviting:
    def test_gcc_invites_a_cluster_and_an_issue_and_their_focal_points_may_nominate(
        self, client, cast, mission, focal_wash, django_capture_on_commit_callbacks
    ):
        client.force_login(cast["gcc"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("invitations", mission.pk),
                {
                    "clusters": [cluster("health").pk],
                    "issues": [issue("gender").pk],
                    "message": "Please nominate by Friday.",
                },
            )

        assertRedirects(response, url("invitations", mission.pk))
        invitations = Invitation.objects.filter(mission=mission)
        assert {str(i.invitee) for i in invitations} == {"Health", "Gender"}
        assert all(i.invited_by == cast["gcc"] for i in invitations)
        for focal in (cast["focal_health"], cast["cci_gender"]):
            assert missions_visible_to(focal).filter(pk=mission.pk).exists()
            assert focal.has_perm("missions.nominate_mission", mission)
        assert not missions_visible_to(focal_wash).filter(pk=mission.pk).exists()

    def test_only_the_invited_focal_points_are_emailed_with_a_link_to_their_invitation(
        self, cast, mission, focal_wash, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            created = invitations_send(
                mission, cast["gcc"], clusters=[cluster("health")], issues=[issue("gender")]
            )

        assert recipients_of(mailoutbox) == {
            cast["focal_health"].email,
            cast["cci_gender"].email,
        }
        health_mail = next(m for m in mailoutbox if m.to == [cast["focal_health"].email])
        health_invitation = next(i for i in created if i.global_cluster_id)
        assert url("invitation", mission.pk, health_invitation.pk) in health_mail.body
        assert "Pakistan floods support" in health_mail.subject
        assert Notification.objects.filter(user=cast["focal_health"]).count() == 1
        assert not Notification.objects.filter(user=focal_wash).exists()

    def test_the_form_preselects_what_the_request_asked_for_and_not_what_is_invited(
        self, client, cast, mission, health
    ):
        client.force_login(cast["gcc"])
        response = client.get(url("invitations", mission.pk))

        form = response.context["form"]
        assert form.initial["clusters"] == [cluster("wash").pk]
        assert form.initial["issues"] == [issue("gender").pk]
        assert cluster("health") not in form.fields["clusters"].queryset
        assertContains(response, "Water, Sanitation and Hygiene (asked for in the request)")
        assert [str(i.invitee) for i in response.context["invitations"]] == ["Health"]

    def test_inviting_again_keeps_the_existing_invitation_and_tells_nobody_twice(
        self, cast, mission, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            first = invitations_send(mission, cast["gcc"], clusters=[cluster("health")])
            again = invitations_send(mission, cast["gcc"], clusters=[cluster("health").pk])

        assert len(first) == 1 and again == []
        assert Invitation.objects.filter(mission=mission).count() == 1
        assert len(mailoutbox) == 1

    def test_choosing_nothing_is_refused_at_the_field(self, client, cast, mission):
        client.force_login(cast["gcc"])
        response = client.post(url("invitations", mission.pk), {"clusters": [], "issues": []})

        assert response.status_code == 200
        assert response.context["form"].errors["clusters"]
        assert not Invitation.objects.exists()

    def test_invitations_are_refused_outside_planning(self, client, cast):
        mission = make_mission("PAK", status="with_task_team")
        client.force_login(cast["gcc"])
        response = client.post(url("invitations", mission.pk), {"clusters": [cluster("wash").pk]})

        assert response.status_code == 200
        assertContains(response, "only while the mission is approved or in planning")
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize(
        "role, sees_invitations",
        [("hcss", True), ("focal_health", True), ("task_team", False), ("rc_hc_pakistan", False)],
    )
    def test_only_the_gcc_invites(self, client, cast, mission, health, role, sees_invitations):
        client.force_login(cast[role])
        response = client.post(url("invitations", mission.pk), {"clusters": [cluster("wash").pk]})

        # Who sees the invitations is refused, and told why; for the others the page is not
        # theirs to see.
        if sees_invitations:
            assertContains(response, "Only the GCC invites clusters to a mission.", status_code=403)
        else:
            assert response.status_code == 404
        with pytest.raises(PermissionDenied):
            invitations_send(mission, cast[role], clusters=[cluster("wash")])
        assert Invitation.objects.filter(mission=mission).count() == 1


# The invitation page and sharing --------------------------------------------------------------


class TestInvitationPage:
    def test_focal_point_sees_the_mission_the_tor_link_and_may_nominate(
        self, client, cast, mission, health
    ):
        client.force_login(cast["focal_health"])
        response = client.get(url("invitation", mission.pk, health.pk))

        assertContains(response, "Pakistan floods support")
        assertContains(response, url("tor", mission.pk))
        assertContains(response, f"{url('nomination_new', mission.pk)}?invitation={health.pk}")
        assertContains(response, "Send to the partners")

    def test_hcss_reads_it_without_acting(self, client, cast, mission, health):
        client.force_login(cast["hcss"])
        response = client.get(url("invitation", mission.pk, health.pk))

        assertContains(response, "Invitation of Health")
        assertNotContains(response, "Send to the partners")
        assertNotContains(response, "Nominate a participant")

    def test_sharing_records_who_when_and_whom_and_emails_each_partner_alone(
        self, client, cast, mission, health, mailoutbox, django_capture_on_commit_callbacks
    ):
        client.force_login(cast["focal_health"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("invitation", mission.pk, health.pk),
                {"emails": "a@msf.example, b@irc.example\nA@msf.example", "note": "By Friday."},
            )

        assertRedirects(response, url("invitation", mission.pk, health.pk))
        health.refresh_from_db()
        assert health.shared_by == cast["focal_health"]
        assert health.shared_at is not None
        assert health.shared_with.splitlines() == ["a@msf.example", "b@irc.example"]
        assert sorted(m.to for m in mailoutbox) == [["a@msf.example"], ["b@irc.example"]]
        assert mailoutbox[0].reply_to == [cast["focal_health"].email]
        assert "By Friday." in mailoutbox[0].body
        assert url("invitation", mission.pk, health.pk) in mailoutbox[0].body

    @pytest.mark.parametrize(
        "emails",
        ["not-an-address", "", " ".join(f"p{i}@ngo.example" for i in range(51))],
        ids=["bad", "empty", "51"],
    )
    def test_bad_addresses_are_refused_at_the_field_and_nothing_is_sent(
        self, client, cast, mission, health, emails, mailoutbox, django_capture_on_commit_callbacks
    ):
        client.force_login(cast["focal_health"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url("invitation", mission.pk, health.pk), {"emails": emails})

        assert response.status_code == 200
        assert response.context["share_form"].errors["emails"]
        health.refresh_from_db()
        assert health.shared_at is None and health.shared_with == ""
        assert mailoutbox == []

    def test_a_focal_point_of_another_invited_cluster_may_not_share(self, cast, mission, health):
        wash = make_invitation(mission, "wash")
        focal_wash = UserFactory(username="focal-wash")
        role_grant(focal_wash, Role.CLUSTER_FOCAL_POINT, global_cluster=cluster("wash"))
        with pytest.raises(PermissionDenied):
            invitation_share(health, focal_wash, emails=["a@ngo.example"])
        assert invitation_share(wash, focal_wash, emails=["a@ngo.example"]).shared_at


# Nominating ---------------------------------------------------------------------------------------


class TestNominating:
    def test_focal_point_nominates_an_existing_user_and_the_gcc_is_told(
        self, client, cast, mission, health, mailoutbox, django_capture_on_commit_callbacks
    ):
        existing = UserFactory(username="amina", email="Amina.Khan@ngo.example")
        client.force_login(cast["focal_health"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("nomination_new", mission.pk), nomination_data(mission, health)
            )

        nomination = Nomination.objects.get()
        assertRedirects(response, url("nomination", mission.pk, nomination.pk))
        assert nomination.participant == existing
        assert nomination.agency == who()
        assert list(nomination.clusters.all()) == [cluster("health")]
        assert nomination.status == Nomination.Status.PROPOSED
        assert nomination.nominated_by == cast["focal_health"]
        assert (nomination.years_in_field, nomination.grade) == (12, Grade.P4)
        assert recipients_of(mailoutbox) == {cast["gcc"].email, existing.email}

    def test_the_form_preselects_the_invitations_cluster(self, client, cast, mission, health):
        client.force_login(cast["focal_health"])
        response = client.get(url("nomination_new", mission.pk))

        form = response.context["form"]
        assert form.initial["invitation"] == health.pk
        assert form.initial["clusters"] == [cluster("health").pk]

    def test_a_new_person_gets_an_account_and_a_link_to_set_a_password_then_logs_in(
        self, client, cast, mission, health, mailoutbox, django_capture_on_commit_callbacks
    ):
        client.force_login(cast["focal_health"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                url("nomination_new", mission.pk),
                nomination_data(mission, health, email="new.person@ngo.example"),
            )

        person = User.objects.get(email="new.person@ngo.example")
        assert (person.first_name, person.last_name) == ("Amina", "Khan")
        assert not person.has_usable_password()
        assert Nomination.objects.get().participant == person
        invitation_mail = next(m for m in mailoutbox if "set your password" in m.subject)
        assert invitation_mail.to == ["new.person@ngo.example"]
        assert person.username in invitation_mail.body
        link = re.search(r"http\S+/account/set-password/\S+/", invitation_mail.body).group(0)

        client.logout()
        form_page = client.get(urlparse(link).path, follow=True)
        assert form_page.context["validlink"]
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": "Tarbela-river-2026!", "new_password2": "Tarbela-river-2026!"},
            follow=True,
        )
        assertContains(done, "Your password is set")
        assert client.login(username=person.username, password="Tarbela-river-2026!")
        # The link works once.
        assert not client.get(urlparse(link).path, follow=True).context["validlink"]

    def test_availability_outside_the_missions_dates_is_refused_at_the_field(
        self, client, cast, mission, health
    ):
        after = mission.preferred_end + datetime.timedelta(days=5)
        users_before = User.objects.count()
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_new", mission.pk),
            nomination_data(
                mission,
                health,
                email="new.person@ngo.example",
                available_from=after.isoformat(),
                available_to=(after + datetime.timedelta(days=10)).isoformat(),
            ),
        )

        assert response.status_code == 200
        assert "does not overlap" in response.context["form"].errors["available_from"][0]
        assert not Nomination.objects.exists()
        assert User.objects.count() == users_before

    def test_the_dates_in_the_country_count_once_set(self, cast, mission, health):
        start = mission.preferred_start
        Mission.objects.filter(pk=mission.pk).update(
            in_country_from=start + datetime.timedelta(days=30),
            in_country_to=start + datetime.timedelta(days=40),
        )
        mission.refresh_from_db()
        with pytest.raises(ValidationError) as refused:
            nominate(mission, health, cast["focal_health"])  # free only in the preferred dates
        assert "available_from" in refused.value.message_dict

    def test_a_second_live_nomination_of_the_same_person_is_refused(
        self, client, cast, mission, health
    ):
        nominate(mission, health, cast["focal_health"])
        client.force_login(cast["gcc"])
        response = client.post(url("nomination_new", mission.pk), nomination_data(mission, health))

        assert response.status_code == 200
        assert "already nominated" in response.context["form"].errors["email"][0]
        assert Nomination.objects.count() == 1

    def test_a_declined_person_may_be_nominated_again(self, cast, mission, health):
        first = nominate(mission, health, cast["focal_health"])
        nomination_decide(first, cast["gcc"], accept=False, reason="Dates too short.")
        again = nominate(mission, health, cast["focal_health"])
        assert again.participant == first.participant

    @pytest.mark.parametrize(
        "field, value",
        [
            ("email", "not-an-email"),
            ("available_from", "31/02/2026"),
            ("years_in_field", "ten"),
            ("previous_missions", "-1"),
            ("grade", "99"),
            ("full_name", ""),
            ("agency", "999999"),
        ],
    )
    def test_bad_input_gives_a_message_at_the_field_and_changes_nothing(
        self, client, cast, mission, health, field, value
    ):
        users_before = User.objects.count()
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_new", mission.pk),
            nomination_data(mission, health, **{"email": "new.person@ngo.example", field: value}),
        )

        assert response.status_code == 200
        assert response.context["form"].errors[field]
        assertContains(response, "Nothing was saved yet")
        assert not Nomination.objects.exists()
        assert User.objects.count() == users_before

    def test_availability_ending_before_it_starts_is_refused(self, client, cast, mission, health):
        start = mission.preferred_start
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_new", mission.pk),
            nomination_data(
                mission,
                health,
                available_from=(start + datetime.timedelta(days=5)).isoformat(),
                available_to=start.isoformat(),
            ),
        )

        assert response.context["form"].errors["available_to"]
        assert not Nomination.objects.exists()

    def test_a_cross_cutting_issue_focal_point_nominates_through_its_invitation(
        self, cast, mission
    ):
        gender = Invitation.objects.create(mission=mission, cross_cutting_issue=issue("gender"))
        invitations_send(mission, cast["gcc"], issues=[issue("gender")])  # grants; keeps the row
        nomination = nominate(
            mission, gender, cast["cci_gender"], clusters=[], cross_cutting_issues=[issue("gender")]
        )
        assert list(nomination.cross_cutting_issues.all()) == [issue("gender")]

    def test_the_nominating_focal_point_withdraws_a_proposed_nomination(
        self, client, cast, mission, health
    ):
        nomination = nominate(mission, health, cast["focal_health"])
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_withdraw", mission.pk, nomination.pk), {"reason": REASON}
        )

        assertRedirects(response, url("nomination", mission.pk, nomination.pk))
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.WITHDRAWN
        assert (nomination.withdrawn_by, nomination.withdrawal_reason) == (
            cast["focal_health"],
            REASON,
        )

    def test_a_focal_point_cannot_withdraw_an_accepted_member(self, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        nomination_decide(nomination, cast["gcc"], accept=True, reason="Strong profile.")
        with pytest.raises(ValidationError):
            withdraw(nomination, cast["focal_health"])


# The GCC's decision ------------------------------------------------------------------------------


class TestDeciding:
    def test_accepting_puts_the_participant_on_the_team_and_tells_focal_point_and_participant(
        self, client, cast, mission, health, mailoutbox, django_capture_on_commit_callbacks
    ):
        nomination = nominate(mission, health, cast["focal_health"])
        participant = nomination.participant
        client.force_login(cast["gcc"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("nomination_decide", mission.pk, nomination.pk),
                {"decision": "accept", "reason": "Strong coordination record.", "back": "team"},
            )

        assertRedirects(response, url("team", mission.pk))
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.ACCEPTED
        assert nomination.decided_by == cast["gcc"]
        assert nomination.decision_reason == "Strong coordination record."
        participant = User.objects.get(pk=participant.pk)  # fresh permission cache
        assert missions_visible_to(participant).filter(pk=mission.pk).exists()
        assert participant.has_perm("missions.serve_on_mission", mission)
        assert recipients_of(mailoutbox) >= {cast["focal_health"].email, participant.email}
        decided = [m for m in mailoutbox if "Nomination accepted" in m.subject]
        assert sorted(m.to[0] for m in decided) == sorted(
            [cast["focal_health"].email, participant.email]
        )
        assert all("Strong coordination record." in m.body for m in decided)

    @pytest.mark.parametrize("decision", ["accept", "decline"])
    def test_a_reason_is_required_either_way(self, client, cast, mission, health, decision):
        nomination = nominate(mission, health, cast["focal_health"])
        client.force_login(cast["gcc"])
        response = client.post(
            url("nomination_decide", mission.pk, nomination.pk),
            {"decision": decision, "reason": "  "},
        )

        assert response.status_code == 200
        assert response.context["decision_form"].errors["reason"]
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.PROPOSED
        with pytest.raises(ValidationError):
            nomination_decide(nomination, cast["gcc"], accept=decision == "accept", reason="")

    def test_the_focal_point_sees_the_decision_and_its_reason(self, client, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        nomination_decide(nomination, cast["gcc"], accept=False, reason="Not free long enough.")
        client.force_login(cast["focal_health"])

        for page in (
            url("invitation", mission.pk, health.pk),
            url("nomination", mission.pk, nomination.pk),
        ):
            response = client.get(page)
            assertContains(response, "Not free long enough.")
            assertContains(response, "Declined")

    def test_a_declined_participant_does_not_see_the_mission(self, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        nomination_decide(nomination, cast["gcc"], accept=False, reason="Not free long enough.")
        assert not missions_visible_to(nomination.participant).filter(pk=mission.pk).exists()

    def test_a_decided_nomination_is_not_decided_again(self, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        nomination_decide(nomination, cast["gcc"], accept=True, reason="Good.")
        with pytest.raises(ValidationError):
            nomination_decide(nomination, cast["gcc"], accept=False, reason="Changed my mind.")

    @pytest.mark.parametrize(
        "role, sees_nomination", [("focal_health", True), ("hcss", True), ("task_team", False)]
    )
    def test_only_the_gcc_decides(self, client, cast, mission, health, role, sees_nomination):
        nomination = nominate(mission, health, cast["focal_health"])
        client.force_login(cast[role])
        response = client.post(
            url("nomination_decide", mission.pk, nomination.pk),
            {"decision": "accept", "reason": "Why not."},
        )
        # Who sees the nomination is refused, and told why; the Task Team does not see it.
        if sees_nomination:
            assertContains(response, "Only the GCC decides on nominations.", status_code=403)
        else:
            assert response.status_code == 404
        with pytest.raises(PermissionDenied if sees_nomination else MissionNotFound):
            nomination_decide(nomination, cast[role], accept=True, reason="Why not.")
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.PROPOSED


# Long input -----------------------------------------------------------------------------------


def longest_email(length: int = 254) -> str:
    """A valid address of exactly `length` characters (domain labels of at most 63)."""
    local, tld = "a" * 64, ".example"
    rest = length - len(local) - 1 - len(tld)  # the labels and the dots between them
    labels = []
    while rest > 63:
        labels.append("b" * 63)
        rest -= 64
    labels.append("b" * rest)
    return f"{local}@{'.'.join(labels)}{tld}"


class TestLongInput:
    """Every field holds what its column holds: at the limit it is saved, beyond it the form
    says so at the field, never a server error (PostgreSQL refuses too long a value)."""

    def test_every_field_at_its_maximum_length_is_saved(self, client, cast, mission, health):
        full_name = "Amina " + "K" * 144
        email = longest_email()
        assert (len(full_name), len(email)) == (150, 254)
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_new", mission.pk),
            nomination_data(
                mission,
                health,
                full_name=full_name,
                email=email,
                languages="L" * 200,
                experience="e" * 5000,
            ),
        )

        nomination = Nomination.objects.get()
        assertRedirects(response, url("nomination", mission.pk, nomination.pk))
        participant = nomination.participant
        assert (participant.first_name, participant.last_name) == ("Amina", "K" * 144)
        assert participant.email == email
        assert (len(nomination.languages), len(nomination.experience)) == (200, 5000)
        assert client.get(url("nomination", mission.pk, nomination.pk)).status_code == 200

    @pytest.mark.parametrize(
        "field, value, message",
        [
            ("full_name", "Amina " + "K" * 145, "Keep the full name to at most 150 characters"),
            ("email", longest_email(255), "Keep the e-mail address to at most 254 characters"),
            ("languages", "L" * 201, "Keep the languages to at most 200 characters"),
            ("experience", "e" * 5001, "Keep the experience to at most 5000 characters"),
        ],
        ids=["full_name", "email", "languages", "experience"],
    )
    def test_beyond_it_the_form_says_so_at_the_field(
        self, client, cast, mission, health, field, value, message
    ):
        users_before = User.objects.count()
        client.force_login(cast["focal_health"])
        response = client.post(
            url("nomination_new", mission.pk),
            nomination_data(mission, health, **{"email": "new.person@ngo.example", field: value}),
        )

        assert response.status_code == 200
        assert any(message in error for error in response.context["form"].errors[field])
        assertContains(response, "Nothing was saved yet")
        assert not Nomination.objects.exists()
        assert User.objects.count() == users_before

    def test_the_service_refuses_it_too_with_the_field_named(self, cast, mission, health):
        with pytest.raises(ValidationError) as error:
            nominate(
                mission,
                health,
                cast["focal_health"],
                full_name="A" * 151,
                email=longest_email(255),
                languages="L" * 201,
                experience="e" * 5001,
            )
        assert set(error.value.message_dict) == {"full_name", "email", "languages", "experience"}
        assert not Nomination.objects.exists()


# Destructive steps ask first ----------------------------------------------------------------------


class TestWithdrawingAsksFirst:
    @pytest.fixture
    def elected(self, cast, mission) -> list[Nomination]:
        """A confirmed team of three that elected its first member."""
        team = make_team(mission, 3)
        team_confirm(mission, cast["gcc"])
        election_open(mission, cast["gcc"])
        leader = election_stand(mission, team[0].participant, "I will lead.")
        for member in team:
            election_vote(mission, member.participant, leader.pk)
        election_close(mission, cast["gcc"])
        return team

    def test_the_page_says_what_withdrawing_the_leader_undoes_and_changes_nothing(
        self, client, cast, mission, elected
    ):
        leader = elected[0]
        name = leader.participant.get_full_name()
        client.force_login(cast["gcc"])
        page = client.get(url("nomination", mission.pk, leader.pk))
        assertContains(page, url("nomination_withdraw", mission.pk, leader.pk))
        assertNotContains(
            page, f'<form method="post" action="{url("nomination_withdraw", mission.pk, leader.pk)}'
        )

        response = client.get(url("nomination_withdraw", mission.pk, leader.pk))
        assert response.status_code == 200
        assertContains(response, f"{name} leaves the team of Pakistan floods support")
        assertContains(response, "the mission&#x27;s leader")
        assertContains(response, "the post falls vacant")
        assertContains(response, "Reason for the withdrawal")
        leader.refresh_from_db()
        assert leader.status == Nomination.Status.ACCEPTED
        participant = User.objects.get(pk=leader.participant_id)
        assert participant.has_perm("missions.lead_mission", mission)

    def test_without_a_reason_nothing_is_withdrawn(self, client, cast, mission, elected):
        leader = elected[0]
        client.force_login(cast["gcc"])
        response = client.post(url("nomination_withdraw", mission.pk, leader.pk), {"reason": " "})

        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
        leader.refresh_from_db()
        assert leader.status == Nomination.Status.ACCEPTED
        with pytest.raises(ValidationError) as error:
            nomination_withdraw(leader, cast["gcc"], reason="")
        assert "reason" in error.value.message_dict

    def test_the_reason_is_recorded_and_shown_in_the_nominations_history(
        self, client, cast, mission, elected, mailoutbox, django_capture_on_commit_callbacks
    ):
        leader = elected[0]
        client.force_login(cast["gcc"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url("nomination_withdraw", mission.pk, leader.pk), {"reason": REASON}, follow=True
            )

        assertContains(response, "The nomination is withdrawn.")
        assertContains(response, "History")
        assertContains(response, REASON)
        leader.refresh_from_db()
        assert leader.status == Nomination.Status.WITHDRAWN
        assert (leader.withdrawn_by, leader.withdrawal_reason) == (cast["gcc"], REASON)
        assert leader.withdrawn_at is not None
        participant = User.objects.get(pk=leader.participant_id)
        assert not participant.has_perm("missions.lead_mission", mission)
        assert leader.participant.email in recipients_of(mailoutbox)
        # The focal point reads it too.
        client.force_login(cast["focal_health"])
        assertContains(client.get(url("nomination", mission.pk, leader.pk)), REASON)
        assert Election.objects.get(mission=mission).winner == leader.participant

    def test_a_proposed_nomination_asks_first_too(self, client, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        client.force_login(cast["focal_health"])
        response = client.get(url("nomination_withdraw", mission.pk, nomination.pk))
        assertContains(response, "They can be nominated again later.")
        nomination.refresh_from_db()
        assert nomination.status == Nomination.Status.PROPOSED

    def test_what_can_no_longer_be_withdrawn_says_so(self, client, cast, mission, health):
        nomination = nominate(mission, health, cast["focal_health"])
        nomination_decide(nomination, cast["gcc"], accept=False, reason="Dates too short.")
        client.force_login(cast["gcc"])
        response = client.get(url("nomination_withdraw", mission.pk, nomination.pk), follow=True)
        assertContains(response, "it can no longer be withdrawn")


class TestCancellingAsksFirst:
    def test_the_cancel_button_is_secondary_and_asks_for_a_reason_and_a_confirmation(
        self, client, cast
    ):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["rc_hc_pakistan"])
        page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()

        action = reverse("missions:transition", args=[mission.pk, "cancel"])
        start = page.index('<details class="confirm"')
        confirmation = page[start : page.index("</details>", start)]
        assert f'action="{action}"' in confirmation
        assert re.search(r'<textarea name="reason"[^>]*required', confirmation)
        assert re.search(r'<input type="checkbox" name="confirm"[^>]*required', confirmation)
        assert "ends the mission for good" in confirmation
        assert '<button type="submit">Cancel the mission</button>' in confirmation
        assert not re.search(r'class="primary"[^>]*>\s*Cancel the mission', page)

    def test_cancelling_without_a_reason_reopens_the_confirmation(self, client, cast):
        mission = make_mission("PAK", status="submitted")
        client.force_login(cast["rc_hc_pakistan"])
        action = reverse("missions:transition", args=[mission.pk, "cancel"])
        response = client.post(action, {"reason": "", "confirm": "yes"})
        assertContains(response, '<details class="confirm" open>')
        mission.refresh_from_db()
        assert mission.status == "submitted"
        client.post(action, {"reason": "The floods receded.", "confirm": "yes"})
        mission.refresh_from_db()
        assert (mission.status, mission.cancel_reason) == ("cancelled", "The floods receded.")


# Confirming the team -----------------------------------------------------------------------------


class TestConfirmingTheTeam:
    def test_a_team_without_members_cannot_be_confirmed(self, cast, mission):
        with pytest.raises(ValidationError, match="no member yet"):
            team_confirm(mission, cast["gcc"])

    def test_every_nomination_must_be_decided_first(self, client, cast, mission, health):
        make_team(mission, 2)
        nominate(mission, health, cast["focal_health"])
        client.force_login(cast["gcc"])
        response = client.post(url("team_confirm", mission.pk), follow=True)

        assertContains(response, "still waiting")
        mission.refresh_from_db()
        assert mission.team_confirmed_at is None

    def test_the_gcc_confirms_the_team(self, client, cast, mission):
        make_team(mission, 2)
        client.force_login(cast["gcc"])
        response = client.post(url("team_confirm", mission.pk))

        assertRedirects(response, url("team", mission.pk))
        mission.refresh_from_db()
        assert mission.team_confirmed_at is not None
        assert mission.team_confirmed_by == cast["gcc"]

    def test_a_new_acceptance_unconfirms_the_team(self, cast, mission, health):
        make_team(mission, 2)
        team_confirm(mission, cast["gcc"])
        nomination = nominate(mission, health, cast["focal_health"])
        mission.refresh_from_db()
        assert mission.team_confirmed_at is not None  # a proposal alone changes no team

        nomination_decide(nomination, cast["gcc"], accept=True, reason="Adds surge capacity.")
        mission.refresh_from_db()
        assert mission.team_confirmed_at is None and mission.team_confirmed_by is None

    def test_the_gcc_withdrawing_a_member_unconfirms_and_takes_back_their_access(
        self, cast, mission
    ):
        member, _ = make_team(mission, 2)
        team_confirm(mission, cast["gcc"])
        withdraw(member, cast["gcc"])

        mission.refresh_from_db()
        assert mission.team_confirmed_at is None
        assert not missions_visible_to(member.participant).filter(pk=mission.pk).exists()

    @pytest.mark.parametrize("role", ["focal_health", "hcss", "rc_hc_pakistan"])
    def test_only_the_gcc_confirms(self, client, cast, mission, health, role):
        make_team(mission, 2)
        client.force_login(cast[role])
        response = client.post(url("team_confirm", mission.pk))
        assertContains(response, "Only the GCC confirms the team.", status_code=403)
        mission.refresh_from_db()
        assert mission.team_confirmed_at is None

    def test_confirming_is_refused_outside_planning(self, cast):
        mission = make_mission("PAK", status="ready")
        make_team(mission, 2)
        with pytest.raises(ValidationError, match="approved or in planning"):
            team_confirm(mission, cast["gcc"])


# The team page ----------------------------------------------------------------------------------


class TestTeamPage:
    def test_shows_size_and_coverage_against_the_request(self, client, cast, mission):
        make_member(mission, "dr-aziz", cluster="health")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(url("team", mission.pk))

        overview = response.context["overview"]
        assert (overview["size"], overview["suggested_size"]) == (1, 4)
        assert overview["clusters_covered"] == [cluster("health")]
        assert overview["clusters_missing"] == [cluster("wash")]
        assert overview["issues_missing"] == [issue("gender")]
        assertContains(response, "✗ not yet covered")
        assertContains(response, "Dr-Aziz")
        assertNotContains(response, "Confirm the team</button>")

    def test_the_gcc_sees_pending_nominations_with_a_decision_form_each(
        self, client, cast, mission, health
    ):
        nomination = nominate(mission, health, cast["focal_health"])
        client.force_login(cast["gcc"])
        response = client.get(url("team", mission.pk))

        assertContains(response, url("nomination_decide", mission.pk, nomination.pk))
        assertContains(response, f'id="id_decide_{nomination.pk}_reason"')

    def test_a_team_member_sees_the_team_read_only(self, client, cast, mission):
        member = make_member(mission, "member-one")
        client.force_login(member.participant)
        response = client.get(url("team", mission.pk))

        assert response.status_code == 200
        assertNotContains(response, "Record the decision")
        assert client.get(url("invitations", mission.pk)).status_code == 404
        assert client.get(url("nomination", mission.pk, member.pk)).status_code == 200

    def test_names_lead_to_the_nomination_for_those_who_may_open_it(self, client, cast, mission):
        member = make_member(mission, "dr-aziz", cluster="health")
        link = f'href="{url("nomination", mission.pk, member.pk)}"'
        client.force_login(cast["gcc"])
        assertContains(client.get(url("team", mission.pk)), link)
        # The RC/HC sees the team but not the nominations: the name is plain text.
        client.force_login(cast["rc_hc_pakistan"])
        response = client.get(url("team", mission.pk))
        assertContains(response, "Dr-Aziz")
        assertNotContains(response, link)

    def test_team_overview_counts_pending_and_confirmation(self, cast, mission, health):
        make_team(mission, 2)
        nominate(mission, health, cast["focal_health"])
        overview = team_overview(mission)
        assert (overview["size"], overview["pending"], overview["confirmed"]) == (2, 1, False)

    def test_the_planning_summary_agrees_with_the_team_overview(self, cast, mission, health):
        mission.requested_clusters.set([cluster("health"), cluster("wash"), cluster("shelter")])
        make_member(mission, "on-health", cluster="health")
        make_member(mission, "declined-wash", cluster="wash", status=Nomination.Status.DECLINED)
        nominate(mission, health, cast["focal_health"])
        summary, overview = team_summary(mission), team_overview(mission)
        assert {key: overview[key] for key in summary} == summary
        # A declined participant represents nothing: WASH is still missing.
        assert [c.code for c in summary["clusters_missing"]] == ["shelter", "wash"]
        assert (summary["size"], summary["pending"]) == (1, 1)

    @pytest.mark.parametrize("viewer", ["gcc", "focal_health"])
    def test_the_team_page_runs_as_many_queries_for_30_members_as_for_3(self, client, cast, viewer):
        def count(size: int) -> int:
            mission = make_mission("PAK", status="in_planning", title=f"Team of {size}")
            make_team(mission, size)
            for i in range(size):
                make_member(mission, f"pending-{size}-{i}", status=Nomination.Status.PROPOSED)
            client.force_login(cast[viewer])
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url("team", mission.pk))
            assert response.status_code == 200
            assert len(response.context["overview"]["members"]) == size
            return len(queries)

        assert count(3) == count(30)

    def test_the_invitation_page_runs_as_many_queries_for_30_nominations_as_for_3(
        self, client, cast
    ):
        def count(size: int) -> int:
            mission = make_mission("PAK", status="in_planning", title=f"Team of {size}")
            invitation = make_team(mission, size)[0].invitation
            client.force_login(cast["focal_health"])
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url("invitation", mission.pk, invitation.pk))
            assert len(response.context["nominations"]) == size
            return len(queries)

        assert count(3) == count(30)


# Scope --------------------------------------------------------------------------------------------


class TestScope:
    @pytest.fixture
    def nominated(self, cast, mission, health):
        return nominate(mission, health, cast["focal_health"])

    def pages(self, mission, health, nomination) -> list[tuple[str, str, dict]]:
        return [
            ("get", url("invitations", mission.pk), {}),
            ("post", url("invitations", mission.pk), {"clusters": [cluster("wash").pk]}),
            ("get", url("invitation", mission.pk, health.pk), {}),
            ("post", url("invitation", mission.pk, health.pk), {"emails": "a@ngo.example"}),
            ("get", url("nomination_new", mission.pk), {}),
            ("post", url("nomination_new", mission.pk), nomination_data(mission, health)),
            ("get", url("nomination", mission.pk, nomination.pk), {}),
            (
                "post",
                url("nomination_decide", mission.pk, nomination.pk),
                {"decision": "accept", "reason": "Fine."},
            ),
            ("get", url("nomination_withdraw", mission.pk, nomination.pk), {}),
            ("post", url("nomination_withdraw", mission.pk, nomination.pk), {"reason": "Gone."}),
            ("post", url("nomination_account_invitation", mission.pk, nomination.pk), {}),
            ("get", url("team", mission.pk), {}),
            ("post", url("team_confirm", mission.pk), {}),
        ]

    @pytest.mark.parametrize("who", ["focal_wash", "rc_hc_nepal", "hct_nepal", "outsider"])
    def test_out_of_scope_users_get_404_everywhere_and_change_nothing(
        self, client, cast, focal_wash, mission, health, nominated, who
    ):
        user = focal_wash if who == "focal_wash" else cast[who]
        client.force_login(user)
        for method, page, data in self.pages(mission, health, nominated):
            response = getattr(client, method)(page, data)
            assert response.status_code == 404, (method, page)

        nominated.refresh_from_db()
        health.refresh_from_db()
        assert nominated.status == Nomination.Status.PROPOSED
        assert Nomination.objects.count() == 1
        assert Invitation.objects.count() == 1
        assert health.shared_at is None

    def test_a_focal_point_of_another_invited_cluster_sees_nothing_of_this_clusters(
        self, client, cast, focal_wash, mission, health, nominated
    ):
        wash = make_invitation(mission, "wash")
        client.force_login(focal_wash)

        assert client.get(url("invitation", mission.pk, wash.pk)).status_code == 200
        assert client.get(url("invitation", mission.pk, health.pk)).status_code == 404
        assert client.get(url("nomination", mission.pk, nominated.pk)).status_code == 404
        for name in ("nomination_decide", "nomination_withdraw"):
            assert client.post(url(name, mission.pk, nominated.pk)).status_code == 404
        team_page = client.get(url("team", mission.pk))
        assert team_page.context["pending"] == []
        invitations = client.get(url("invitations", mission.pk)).context["invitations"]
        assert [str(i.invitee) for i in invitations] == ["Water, Sanitation and Hygiene"]
        # Nominating through Health's invitation is refused, by the form and the service.
        response = client.post(url("nomination_new", mission.pk), nomination_data(mission, health))
        assert response.context["form"].errors["invitation"]
        with pytest.raises(PermissionDenied):
            nominate(mission, health, focal_wash, email="someone@ngo.example")

    def test_nominations_visible_to_scopes_by_role(
        self, cast, focal_wash, mission, health, nominated
    ):
        make_invitation(mission, "wash")
        assert list(nominations_visible_to(cast["gcc"], mission)) == [nominated]
        assert list(nominations_visible_to(cast["hcss"], mission)) == [nominated]
        assert list(nominations_visible_to(cast["focal_health"], mission)) == [nominated]
        assert list(nominations_visible_to(focal_wash, mission)) == []
        assert list(nominations_visible_to(cast["rc_hc_pakistan"], mission)) == []
        assert list(nominations_visible_to(cast["rc_hc_nepal"], mission)) == []

    def test_the_country_sees_the_team_but_not_invitations_or_nominations(
        self, client, cast, mission, health, nominated
    ):
        client.force_login(cast["rc_hc_pakistan"])
        assert client.get(url("team", mission.pk)).status_code == 200
        assert client.get(url("invitations", mission.pk)).status_code == 404
        assert client.get(url("invitation", mission.pk, health.pk)).status_code == 404
        assert client.get(url("nomination", mission.pk, nominated.pk)).status_code == 404
        # The team page is theirs to see, confirming it is not.
        response = client.post(url("team_confirm", mission.pk))
        assertContains(response, "Only the GCC confirms the team.", status_code=403)

    def test_hcss_sees_all_planning(self, client, cast, mission, health, nominated):
        client.force_login(cast["hcss"])
        for page in (
            url("invitations", mission.pk),
            url("invitation", mission.pk, health.pk),
            url("nomination", mission.pk, nominated.pk),
            url("team", mission.pk),
        ):
            assert client.get(page).status_code == 200, page

    def test_a_participant_may_get_a_new_set_password_link_from_the_nominator(
        self, client, cast, mission, health, mailoutbox, django_capture_on_commit_callbacks
    ):
        nomination = nominate(mission, health, cast["focal_health"], email="late@ngo.example")
        client.force_login(cast["focal_health"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url("nomination_account_invitation", mission.pk, nomination.pk))
        assert [m.to for m in mailoutbox] == [["late@ngo.example"]]


class TestMailDelivery:
    def test_a_partner_email_that_fails_waits_in_the_outbox_and_the_share_stays_recorded(
        self, cast, monkeypatch
    ):
        import smtplib

        def broken_send(self, fail_silently=False):
            raise smtplib.SMTPServerDisconnected("mail server went away")

        mission = make_mission("PAK", status="in_planning")
        invitation = make_invitation(mission, "health")
        invitation_share(invitation, cast["gcc"], emails=["partner@ngo.example"])
        invitation.refresh_from_db()
        assert invitation.shared_with == "partner@ngo.example"
        notice = Notification.objects.get(email="partner@ngo.example")

        monkeypatch.setattr("django.core.mail.EmailMessage.send", broken_send)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            notification_send(notice.pk)
        notice.refresh_from_db()
        assert notice.email_state == Notification.EmailState.PENDING
        assert "mail server went away" in notice.email_error
        assert notice.email_claimed_at is None  # released: the retry takes it again

        monkeypatch.undo()
        assert notification_send(notice.pk) is True
        notice.refresh_from_db()
        assert notice.email_state == Notification.EmailState.SENT

    def test_the_set_password_link_is_made_when_sent_and_only_while_needed(self, cast, mailoutbox):
        newcomer = UserFactory(username="new@ngo.example", email="new@ngo.example")
        newcomer.set_unusable_password()
        newcomer.save()
        account_invitation_send(newcomer, "first")
        first = Notification.objects.get(user=newcomer)
        assert "set-password" not in first.body  # no token waits in the outbox
        assert notification_send(first.pk) is True
        assert "/account/set-password/" in mailoutbox[-1].body
        newcomer.set_password("chosen")
        newcomer.save()
        account_invitation_send(newcomer, "second")
        second = Notification.objects.exclude(pk=first.pk).get(user=newcomer)
        assert notification_send(second.pk) is False
        assert len(mailoutbox) == 1
