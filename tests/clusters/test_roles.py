"""Roles: granting and revoking them from the command line, the scope rule the database
keeps, a mission following its country, and the reference data every installation starts with."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from clusters.models import (
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    Role,
    RoleAssignment,
)
from clusters.services import HCSS_ADMIN_GROUP, HCSS_ADMIN_PERMISSIONS
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
        make_mission("PAK", title="In the queue")
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
        mission = make_mission("PAK", title="Moves")
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
