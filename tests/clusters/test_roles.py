"""Roles: granting and revoking them from the command line, the scope rule the database
keeps, a mission following its country, and the reference data every installation starts with."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertContains

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
from clusters.services import HCSS_ADMIN_GROUP, HCSS_ADMIN_PERMISSIONS, role_grant, role_revoke
from missions.selectors.missions import missions_visible_to
from missions.services.permissions import mission_sync_permissions
from tests.factories import UserFactory, make_mission


def grant(*args, **options):
    call_command("grant_role", *args, stdout=_Sink(), **options)


def revoke(*args, **options):
    call_command("revoke_role", *args, stdout=_Sink(), **options)


class _Sink:
    """Swallows the commands' success messages."""

    def write(self, *_args, **_kwargs):
        pass

    def flush(self):
        pass


@pytest.fixture
def user(db):
    return UserFactory(username="amina")


def visible_titles(user) -> set[str]:
    return set(missions_visible_to(user).values_list("title", flat=True))


class TestGrantRole:
    def test_rc_hc_of_a_country_sees_its_missions_from_before_and_after_the_grant(self, user):
        make_mission("PAK", title="Before the grant")
        make_mission("NPL", title="Elsewhere")
        assert visible_titles(user) == set()

        grant("amina", "rc_hc", country="PAK")
        make_mission("PAK", title="After the grant")

        assert visible_titles(user) == {"Before the grant", "After the grant"}

    def test_country_code_is_case_insensitive(self, user):
        make_mission("PAK", title="Pakistan request")
        grant("amina", "rc_hc", country="pak")
        assert visible_titles(user) == {"Pakistan request"}

    def test_revoking_rc_hc_takes_the_countrys_missions_away(self, user):
        make_mission("PAK", title="Before the grant")
        grant("amina", "rc_hc", country="PAK")
        make_mission("PAK", title="After the grant")

        revoke("amina", "rc_hc", country="PAK")

        assert visible_titles(user) == set()
        assert not RoleAssignment.objects.filter(user=user).exists()
        assert not user.groups.filter(name__startswith="icsm:rc_hc").exists()

    def test_revoking_one_country_leaves_the_other(self, user):
        make_mission("PAK", title="Pakistan request")
        make_mission("NPL", title="Nepal request")
        grant("amina", "rc_hc", country="PAK")
        grant("amina", "rc_hc", country="NPL")

        revoke("amina", "rc_hc", country="PAK")

        assert visible_titles(user) == {"Nepal request"}

    def test_granting_twice_gives_one_assignment_and_one_group(self, user):
        grant("amina", "rc_hc", country="PAK")
        grant("amina", "rc_hc", country="PAK")

        assert RoleAssignment.objects.filter(user=user).count() == 1
        assert list(user.groups.values_list("name", flat=True)) == [
            RoleAssignment.objects.get(user=user).group_name
        ]

    def test_revoking_a_role_not_held_is_an_error(self, user):
        with pytest.raises(CommandError, match="does not hold that role"):
            revoke("amina", "rc_hc", country="PAK")

    def test_hcss_gets_staff_status_and_exactly_the_admin_groups_permissions(self, user):
        grant("amina", "hcss")

        user.refresh_from_db()
        assert user.is_staff
        admin_group = Group.objects.get(name=HCSS_ADMIN_GROUP)
        assert {
            f"{p.content_type.app_label}.{p.codename}" for p in admin_group.permissions.all()
        } == set(HCSS_ADMIN_PERMISSIONS)
        assert user.get_all_permissions() == set(HCSS_ADMIN_PERMISSIONS)

    def test_hcss_can_open_the_mission_admin_and_loses_it_when_revoked(self, user, client):
        make_mission("PAK", title="In the queue", status="submitted")
        grant("amina", "hcss")
        client.force_login(user)

        response = client.get("/admin/missions/mission/")
        assert response.status_code == 200
        assert "In the queue" in response.content.decode()

        revoke("amina", "hcss")
        user.refresh_from_db()
        assert not user.is_staff
        assert not user.groups.filter(name=HCSS_ADMIN_GROUP).exists()
        assert user.get_all_permissions() == set()

        response = client.get("/admin/missions/mission/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_revoking_hcss_keeps_a_superuser_staff(self, user):
        user.is_superuser = True
        user.save()
        grant("amina", "hcss")
        revoke("amina", "hcss")
        user.refresh_from_db()
        assert user.is_staff

    def test_cluster_coordinator_needs_the_cluster_to_be_active_in_the_country(self, user):
        with pytest.raises(CommandError, match="No cluster in that country"):
            grant("amina", "cluster_coordinator", country="PAK", cluster="health")
        assert not RoleAssignment.objects.filter(user=user).exists()

    def test_cluster_coordinator_of_an_active_country_cluster(self, user):
        country_cluster = CountryCluster.objects.create(
            country=Country.objects.get(code="PAK"),
            global_cluster=GlobalCluster.objects.get(code="health"),
        )

        grant("amina", "cluster_coordinator", country="PAK", cluster="health")

        assignment = RoleAssignment.objects.get(user=user)
        assert assignment.role == Role.CLUSTER_COORDINATOR
        assert assignment.country_cluster == country_cluster
        assert assignment.country is None and assignment.global_cluster is None
        assert user.groups.filter(name=assignment.group_name).exists()

    def test_partner_representative_takes_cluster_and_organisation(self, user):
        country_cluster = CountryCluster.objects.create(
            country=Country.objects.get(code="PAK"),
            global_cluster=GlobalCluster.objects.get(code="health"),
        )
        who = Organisation.objects.get(acronym="WHO")

        grant(
            "amina",
            "partner_representative",
            country="PAK",
            cluster="health",
            organisation=who.pk,
        )

        assignment = RoleAssignment.objects.get(user=user)
        assert (assignment.country_cluster, assignment.organisation) == (country_cluster, who)

    def test_focal_points_are_scoped_by_cluster_and_by_issue(self, user):
        grant("amina", "cluster_focal_point", cluster="health")
        grant("amina", "cci_focal_point", issue="gender")

        assert {
            (a.role, a.global_cluster, a.cross_cutting_issue)
            for a in RoleAssignment.objects.filter(user=user)
        } == {
            (Role.CLUSTER_FOCAL_POINT, GlobalCluster.objects.get(code="health"), None),
            (Role.CCI_FOCAL_POINT, None, CrossCuttingIssue.objects.get(code="gender")),
        }


class TestBadArguments:
    @pytest.mark.parametrize("command", ["grant_role", "revoke_role"])
    def test_unknown_user(self, db, command):
        with pytest.raises(CommandError, match="No user 'nobody'"):
            call_command(command, "nobody", "rc_hc", country="PAK")

    def test_unknown_country_code(self, user):
        with pytest.raises(CommandError, match="No country 'XXX'"):
            grant("amina", "rc_hc", country="XXX")
        assert not RoleAssignment.objects.exists()

    def test_unknown_cluster_code(self, user):
        with pytest.raises(CommandError, match="No global cluster 'plumbing'"):
            grant("amina", "cluster_focal_point", cluster="plumbing")

    def test_unknown_cross_cutting_issue(self, user):
        with pytest.raises(CommandError, match="No cross-cutting issue 'weather'"):
            grant("amina", "cci_focal_point", issue="weather")

    def test_rc_hc_without_a_country(self, user):
        with pytest.raises(CommandError, match="The role rc_hc needs a country"):
            grant("amina", "rc_hc")
        assert not RoleAssignment.objects.exists()

    def test_hcss_with_a_country(self, user):
        with pytest.raises(CommandError, match="The role hcss takes no country"):
            grant("amina", "hcss", country="PAK")
        assert not RoleAssignment.objects.exists()
        user.refresh_from_db()
        assert not user.is_staff

    def test_unknown_role_lists_the_choices(self, user):
        with pytest.raises(CommandError, match="invalid choice: 'king'") as error:
            grant("amina", "king")
        assert "rc_hc" in str(error.value)


class TestScopeConstraint:
    """The database itself refuses an assignment whose scope does not fit its role."""

    @pytest.mark.parametrize(
        "role, scope",
        [
            (Role.RC_HC, {}),
            (Role.HCT_MEMBER, {"global_cluster": "health"}),
            (Role.HCSS, {"country": "PAK"}),
            (Role.CLUSTER_FOCAL_POINT, {}),
            (Role.CCI_FOCAL_POINT, {"cross_cutting_issue": "gender", "country": "PAK"}),
            (Role.CLUSTER_COORDINATOR, {"country": "PAK", "global_cluster": "health"}),
        ],
    )
    def test_wrong_scope_is_refused(self, user, role, scope):
        lookups = {
            "country": lambda code: Country.objects.get(code=code),
            "global_cluster": lambda code: GlobalCluster.objects.get(code=code),
            "cross_cutting_issue": lambda code: CrossCuttingIssue.objects.get(code=code),
        }
        fields = {name: lookups[name](code) for name, code in scope.items()}
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleAssignment.objects.create(user=user, role=role, **fields)
        assert not RoleAssignment.objects.exists()

    def test_right_scope_is_accepted(self, user):
        RoleAssignment.objects.create(
            user=user, role=Role.RC_HC, country=Country.objects.get(code="PAK")
        )
        RoleAssignment.objects.create(user=user, role=Role.HCSS)
        assert RoleAssignment.objects.filter(user=user).count() == 2


class TestMissionChangesCountry:
    def test_rc_hc_of_the_old_country_loses_it_and_the_new_one_gains_it(self, cast):
        mission = make_mission("PAK", title="Moves")
        assert visible_titles(cast["rc_hc_pakistan"]) == {"Moves"}
        assert visible_titles(cast["rc_hc_nepal"]) == set()

        mission.country = Country.objects.get(code="NPL")
        mission.save()
        mission_sync_permissions(mission)

        assert visible_titles(cast["rc_hc_pakistan"]) == set()
        assert visible_titles(cast["hct_pakistan"]) == set()
        assert visible_titles(cast["rc_hc_nepal"]) == {"Moves"}
        assert visible_titles(cast["hct_nepal"]) == {"Moves"}
        assert cast["rc_hc_nepal"].has_perm("missions.submit_mission", mission)
        assert not cast["rc_hc_pakistan"].has_perm("missions.submit_mission", mission)

    def test_global_roles_keep_it(self, cast):
        mission = make_mission("PAK", title="Moves", status="submitted")
        mission.country = Country.objects.get(code="NPL")
        mission.save()
        mission_sync_permissions(mission)

        for name in ("hcss", "task_team", "gcc"):
            assert visible_titles(cast[name]) == {"Moves"}, name


class TestReferenceData:
    def test_all_countries_with_iso3_codes(self, db):
        assert Country.objects.count() == 249
        names = dict(
            Country.objects.filter(code__in=["PAK", "NPL", "SDN", "COL"]).values_list(
                "code", "name"
            )
        )
        assert names == {"PAK": "Pakistan", "NPL": "Nepal", "SDN": "Sudan", "COL": "Colombia"}
        codes = list(Country.objects.values_list("code", flat=True))
        assert all(len(code) == 3 and code.isupper() and code.isalpha() for code in codes)

    def test_eleven_global_clusters_each_with_a_lead_agency(self, db):
        clusters = GlobalCluster.objects.prefetch_related("lead_agencies")
        assert clusters.count() == 11
        for cluster in clusters:
            assert cluster.lead_agencies.exists(), cluster.code
        health = GlobalCluster.objects.get(code="health")
        assert [org.acronym for org in health.lead_agencies.all()] == ["WHO"]

    def test_cross_cutting_issues(self, db):
        assert set(CrossCuttingIssue.objects.values_list("code", flat=True)) == {
            "gender",
            "age",
            "environment",
            "hiv-aids",
            "protection",
            "aap",
            "psea",
            "mhpss",
        }


# Who grants global roles, and the log of every change ---------------------------------------


def add_url() -> str:
    return reverse("admin:clusters_roleassignment_add")


def changelist_url() -> str:
    return reverse("admin:clusters_roleassignment_changelist")


def log_url() -> str:
    return reverse("admin:clusters_rolechange_changelist")


def delete_url(assignment) -> str:
    return reverse("admin:clusters_roleassignment_delete", args=[assignment.pk])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def log_rows() -> list[tuple]:
    return list(
        RoleChange.objects.order_by("pk").values_list("action", "role", "scope", "user", "by")
    )


class TestRoleChangeLog:
    def test_the_commands_log_each_grant_and_revoke_with_no_acting_user(self, user):
        out = io.StringIO()
        call_command("grant_role", "amina", "rc_hc", country="PAK", stdout=out)
        assert "Logged as an operator's change" in out.getvalue()
        revoke("amina", "rc_hc", country="PAK")
        assert log_rows() == [
            ("grant", "rc_hc", "Pakistan", user.pk, None),
            ("revoke", "rc_hc", "Pakistan", user.pk, None),
        ]
        change = RoleChange.objects.first()
        assert change.at is not None

    def test_the_services_log_who_acted(self, user, superuser):
        role_grant(user, Role.GCC, by=superuser)
        role_revoke(user, Role.GCC, by=superuser)
        assert log_rows() == [
            ("grant", "gcc", "", user.pk, superuser.pk),
            ("revoke", "gcc", "", user.pk, superuser.pk),
        ]

    def test_a_grant_that_changes_nothing_and_a_revoke_of_nothing_log_nothing(self, user):
        grant("amina", "rc_hc", country="PAK")
        grant("amina", "rc_hc", country="PAK")
        assert role_revoke(user, Role.RC_HC, country=Country.objects.get(code="NPL")) is False
        assert len(log_rows()) == 1


class TestGlobalRolesNeedASuperuser:
    @pytest.mark.parametrize("role", [Role.HCSS, Role.TASK_TEAM, Role.GCC])
    def test_only_a_superuser_grants_or_revokes_a_global_role(self, cast, user, superuser, role):
        with pytest.raises(PermissionDenied, match="Only a superuser"):
            role_grant(user, role, by=cast["hcss"])
        assert not RoleAssignment.objects.filter(user=user).exists()

        role_grant(user, role, by=superuser)
        with pytest.raises(PermissionDenied, match="Only a superuser"):
            role_revoke(user, role, by=cast["hcss"])
        assert RoleAssignment.objects.filter(user=user, role=role).exists()
        assert [row[0] for row in log_rows() if row[3] == user.pk] == ["grant"]

    def test_an_inactive_superuser_grants_nothing(self, user):
        former = UserFactory(username="former-root", is_superuser=True, is_active=False)
        with pytest.raises(PermissionDenied):
            role_grant(user, Role.TASK_TEAM, by=former)

    def test_hcss_still_grants_country_roles(self, cast, user):
        role_grant(user, Role.RC_HC, by=cast["hcss"], country=Country.objects.get(code="PAK"))
        assert log_rows()[-1] == ("grant", "rc_hc", "Pakistan", user.pk, cast["hcss"].pk)


class TestRoleAdmin:
    def test_hcss_cannot_grant_itself_task_team_and_then_decide(self, client, cast):
        hcss = cast["hcss"]
        mission = make_mission("PAK", status="with_task_team")
        before = RoleChange.objects.count()
        client.force_login(hcss)
        response = client.post(add_url(), {"user": hcss.pk, "role": "task_team"})
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["role"]
        assert any("Only a superuser grants or revokes" in e for e in errors)
        assert not RoleAssignment.objects.filter(user=hcss, role="task_team").exists()
        assert RoleChange.objects.count() == before
        hcss = type(hcss).objects.get(pk=hcss.pk)
        assert not hcss.has_perm("missions.decide_mission", mission)

    @pytest.mark.parametrize("role", ["hcss", "gcc"])
    def test_hcss_cannot_grant_any_global_role(self, client, cast, user, role):
        client.force_login(cast["hcss"])
        response = client.post(add_url(), {"user": user.pk, "role": role})
        assert response.status_code == 200
        assert not RoleAssignment.objects.filter(user=user).exists()

    def test_a_superuser_grants_task_team_and_it_is_logged(self, client, user, superuser):
        client.force_login(superuser)
        response = client.post(add_url(), {"user": user.pk, "role": "task_team"})
        assert response.status_code == 302
        assert RoleAssignment.objects.filter(user=user, role="task_team").exists()
        assert log_rows()[-1] == ("grant", "task_team", "", user.pk, superuser.pk)

    def test_hcss_grants_a_country_role_logged_as_by_hcss(self, client, cast, user):
        client.force_login(cast["hcss"])
        pakistan = Country.objects.get(code="PAK")
        response = client.post(
            add_url(), {"user": user.pk, "role": "rc_hc", "country": pakistan.pk}
        )
        assert response.status_code == 302
        assert log_rows()[-1] == ("grant", "rc_hc", "Pakistan", user.pk, cast["hcss"].pk)

    def test_hcss_cannot_revoke_a_global_role_and_is_told_why(self, client, cast):
        assignment = RoleAssignment.objects.get(user=cast["gcc"], role="gcc")
        client.force_login(cast["hcss"])
        for method in ("get", "post"):
            response = getattr(client, method)(delete_url(assignment), {"post": "yes"})
            assert response.status_code == 302
        response = client.get(response.url)
        assertContains(response, "Only a superuser grants or revokes")
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
        assert not RoleChange.objects.filter(action="revoke").exists()

    def test_hcss_cannot_revoke_a_global_role_in_bulk(self, client, cast):
        assignment = RoleAssignment.objects.get(user=cast["task_team"], role="task_team")
        client.force_login(cast["hcss"])
        response = client.post(
            changelist_url(),
            {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"},
        )
        assert response.status_code in (200, 403)
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()

    def test_hcss_revokes_a_country_role_and_it_is_logged(self, client, cast):
        rc_hc = cast["rc_hc_pakistan"]
        assignment = RoleAssignment.objects.get(user=rc_hc, role="rc_hc")
        client.force_login(cast["hcss"])
        response = client.post(delete_url(assignment), {"post": "yes"})
        assert response.status_code == 302
        assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
        assert log_rows()[-1] == ("revoke", "rc_hc", "Pakistan", rc_hc.pk, cast["hcss"].pk)

    def test_a_superuser_revokes_a_global_role(self, client, cast, superuser):
        assignment = RoleAssignment.objects.get(user=cast["gcc"], role="gcc")
        client.force_login(superuser)
        response = client.post(delete_url(assignment), {"post": "yes"})
        assert response.status_code == 302
        assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
        assert log_rows()[-1] == ("revoke", "gcc", "", cast["gcc"].pk, superuser.pk)


class TestRoleChangeAdmin:
    def test_hcss_and_superusers_read_the_log(self, client, cast, superuser):
        change = RoleChange.objects.filter(user=cast["gcc"]).get()
        for reader in (cast["hcss"], superuser):
            client.force_login(reader)
            response = client.get(log_url())
            assert response.status_code == 200
            assert change in response.context["cl"].result_list
            assertContains(response, "an operator (command line)")
            detail = reverse("admin:clusters_rolechange_change", args=[change.pk])
            assert client.get(detail).status_code == 200

    def test_nobody_adds_changes_or_deletes_a_log_row(self, client, cast, superuser):
        change = RoleChange.objects.filter(user=cast["gcc"]).get()
        for who in (cast["hcss"], superuser):
            client.force_login(who)
            assert client.get(reverse("admin:clusters_rolechange_add")).status_code == 403
            detail = reverse("admin:clusters_rolechange_change", args=[change.pk])
            assert client.post(detail, {"role": "hcss"}).status_code == 403
            delete = reverse("admin:clusters_rolechange_delete", args=[change.pk])
            assert client.post(delete, {"post": "yes"}).status_code == 403
        change.refresh_from_db()
        assert change.role == "gcc"

    def test_others_do_not_read_the_log(self, client, cast):
        client.force_login(cast["rc_hc_pakistan"])
        assert client.get(log_url()).status_code == 302  # not staff: the admin's login
