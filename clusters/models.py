"""Reference data (countries, clusters, cross-cutting issues, organisations) and roles.

A role assignment gives a user a role within a scope: a country, a global cluster, a
cross-cutting issue or a country-level cluster. Each (role, scope) pair has one auth group;
other apps grant object permissions to that group, so a user's reach follows their groups.

The audit log (AuditEvent) is here too, in the lowest app, so that every app's downloads and
every sign-in land in the same place.
"""

import functools

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


class ChoiceLabels:
    """`get_FOO_display` at the cost of one translation. Django's builds a dict of every
    choice at each call and hashes each lazy label, a translation apiece: fourteen for a
    mission's state, on every row of every list."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)


class ConcurrentTransitions(ConcurrentTransitionMixin):
    """django-fsm's check that the state has not moved since the row was read, with the
    model's state fields found once per model: the mixin tests every field of the model
    each time an instance is built, a sixth of building a page of missions."""

    @property
    def state_fields(self):
        return _state_fields(type(self))


@functools.cache
def _state_fields(model) -> tuple:
    return tuple(field for field in model._meta.fields if isinstance(field, FSMFieldMixin))


class Country(models.Model):
    code = models.CharField(_("ISO 3166 alpha-3 code"), max_length=3, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name


class Organisation(ChoiceLabels, models.Model):
    class Kind(models.TextChoices):
        UN_AGENCY = "un_agency", _("UN agency")
        NGO = "ngo", _("NGO")
        NGO_CONSORTIUM = "ngo_consortium", _("NGO consortium")
        RED_CROSS = "red_cross", _("Red Cross / Red Crescent")
        GOVERNMENT = "government", _("Government")
        DONOR = "donor", _("Donor")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200, unique=True)
    acronym = models.CharField(max_length=30, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Where mission reports go (a lead agency's or consortium's coordination desk); blank when
    # nobody gave one. Pre-fills the distribution lists.
    report_email = models.EmailField(_("address for mission reports"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name


class GlobalCluster(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)
    lead_agencies = models.ManyToManyField(Organisation, related_name="led_clusters", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CrossCuttingIssue(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CountryCluster(models.Model):
    """A cluster active in one country, with its coordinators and partner organisations."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="clusters")
    global_cluster = models.ForeignKey(GlobalCluster, on_delete=models.PROTECT)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="coordinated_clusters", blank=True
    )
    partners = models.ManyToManyField(Organisation, related_name="cluster_memberships", blank=True)

    class Meta:
        ordering = ["country__name", "global_cluster__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "global_cluster"], name="one_cluster_per_country"
            )
        ]

    def __str__(self) -> str:
        return f"{self.global_cluster} ({self.country})"


class Role(models.TextChoices):
    RC_HC = "rc_hc", _("RC/HC office")
    HCT_MEMBER = "hct_member", _("HCT member")
    HCSS = "hcss", _("OCHA HCSS officer")
    TASK_TEAM = "task_team", _("Task Team member")
    GCC = "gcc", _("GCC member")
    CLUSTER_FOCAL_POINT = "cluster_focal_point", _("Global cluster focal point")
    CCI_FOCAL_POINT = "cci_focal_point", _("Cross-cutting issue focal point")
    CLUSTER_COORDINATOR = "cluster_coordinator", _("Cluster coordinator")
    PARTNER_REPRESENTATIVE = "partner_representative", _("Partner representative")


# The scope field(s) each role needs; every other scope field stays empty.
ROLE_SCOPE: dict[str, tuple[str, ...]] = {
    Role.RC_HC: ("country",),
    Role.HCT_MEMBER: ("country",),
    Role.HCSS: (),
    Role.TASK_TEAM: (),
    Role.GCC: (),
    Role.CLUSTER_FOCAL_POINT: ("global_cluster",),
    Role.CCI_FOCAL_POINT: ("cross_cutting_issue",),
    Role.CLUSTER_COORDINATOR: ("country_cluster",),
    Role.PARTNER_REPRESENTATIVE: ("country_cluster", "organisation"),
}
SCOPE_FIELDS = (
    "country",
    "global_cluster",
    "cross_cutting_issue",
    "country_cluster",
    "organisation",
)


def _scope_constraint() -> Q:
    """Exactly the scope fields of ROLE_SCOPE are set, for every role."""
    rule = Q()
    for role, needed in ROLE_SCOPE.items():
        fields = Q(role=role)
        for name in SCOPE_FIELDS:
            fields &= Q(**{f"{name}__isnull": name not in needed})
        rule |= fields
    return rule


class RoleAssignment(ChoiceLabels, models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    country = models.ForeignKey(Country, on_delete=models.CASCADE, null=True, blank=True)
    global_cluster = models.ForeignKey(
        GlobalCluster, on_delete=models.CASCADE, null=True, blank=True
    )
    cross_cutting_issue = models.ForeignKey(
        CrossCuttingIssue, on_delete=models.CASCADE, null=True, blank=True
    )
    country_cluster = models.ForeignKey(
        CountryCluster, on_delete=models.CASCADE, null=True, blank=True
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username", "role"]
        constraints = [
            models.CheckConstraint(
                condition=_scope_constraint(),
                name="role_has_its_scope",
                violation_error_message=_(
                    "Give exactly the scope the role needs: a country for the RC/HC office and "
                    "HCT members; none for HCSS, Task Team and GCC; a global cluster for a "
                    "cluster focal point; a cross-cutting issue for its focal point; a country "
                    "cluster for a coordinator, and an organisation too for a partner."
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = self.scope
        names = {"user": self.user, "role": self.get_role_display(), "scope": scope}
        if scope:
            return gettext("%(user)s as %(role)s for %(scope)s") % names
        return gettext("%(user)s as %(role)s") % names

    @property
    def scope(self) -> str:
        return ", ".join(str(getattr(self, name)) for name in ROLE_SCOPE[self.role])

    @property
    def group_name(self) -> str:
        return role_group_name(self.role, **{n: getattr(self, f"{n}_id") for n in SCOPE_FIELDS})


def role_group_name(role: str, **scope_ids: int | None) -> str:
    """The auth group that stands for a role within a scope, e.g. `icsm:rc_hc:country=12`."""
    parts = [f"{name}={scope_ids[name]}" for name in ROLE_SCOPE[role] if scope_ids.get(name)]
    return ":".join(["icsm", role, *parts])


class RoleChange(ChoiceLabels, models.Model):
    """One grant or revoke of a role: who, which role and scope, by whom, when. Never edited."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Granted")
        REVOKE = "revoke", _("Revoked")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    role = models.CharField(max_length=30, choices=Role.choices)
    # The scope as it read then: the reference rows may be renamed or removed later.
    scope = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return gettext("%(action)s %(role)s to %(user)s") % {
            "action": self.get_action_display(),
            "role": self.get_role_display(),
            "user": self.user,
        }


class AuditLogIsAppendOnly(Exception):
    """An audit event was to be changed or deleted: nothing was."""


def _refuse(what: str):
    raise AuditLogIsAppendOnly(f"The audit log is append-only: its events are never {what}.")


class AuditEventQuerySet(models.QuerySet):
    """Reads and inserts only: an update or a delete of the log is refused, whatever the
    rows (on PostgreSQL a trigger refuses them as well, for SQL that does not come here)."""

    def update(self, **kwargs):
        _refuse("changed")

    def delete(self):
        _refuse("deleted")

    def _raw_delete(self, using):
        _refuse("deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse("changed")


class AuditEvent(ChoiceLabels, models.Model):
    """Something HCSS must be able to trace afterwards: who signed in (or tried to), whose
    role changed, what changed in the admin, who downloaded someone else's file.

    Written only by clusters.services.audit_record; never changed or deleted. The user is
    kept as a plain reference (no constraint, nothing cascades) and by name, so that
    deleting or renaming an account leaves the log as it was.
    """

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_OUT = "sign_out", _("Signed out")
        SECOND_FACTOR_PASSED = "second_factor_passed", _("Second factor passed")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor refused")
        ROLE_GRANTED = "role_granted", _("Role granted")
        ROLE_REVOKED = "role_revoked", _("Role revoked")
        ADMIN_CHANGE = "admin_change", _("Changed in the admin")
        FILE_DOWNLOAD = "file_download", _("File downloaded by another user")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset asked for")
        PASSWORD_CHANGED = "password_changed", _("Password changed")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The user's name then; for a failed sign-in, the name as typed (there may be no user).
    username = models.CharField(_("user name"), max_length=150, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["kind", "at"], name="auditevent_kind_at")]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(user)s at %(at)s") % {
            "kind": self.get_kind_display(),
            "user": self.username or "-",
            "at": f"{self.at:%Y-%m-%d %H:%M}",
        }

    def save(self, *args, **kwargs):
        if not self._state.adding or self.pk is not None:
            _refuse("changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse("deleted")


class LanguagePreference(ChoiceLabels, models.Model):
    """The language a user reads the site, their e-mails and their PDFs in.

    A row only once the user has chosen; without one, the browser's language applies on the
    site and the site's default language in what is sent to them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_preference",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("language preference")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
