"""The mission report's text and its distribution list: part of the mission's file.

The text is kept like the ToR: numbered versions (who changed what, when), one of which the
leader marks final. Each section is public or internal; single findings can be internal too.
The `reports` app renders, distributes and publishes what is written here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels


class MissionReport(models.Model):
    """A mission's report. Its text lives in versions; the newest version is the current one."""

    mission = models.OneToOneField(
        "missions.Mission", on_delete=models.CASCADE, related_name="report"
    )
    # Set when the leader marks the current version final; any new version clears it.
    final_version = models.ForeignKey(
        "missions.ReportVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return gettext("Report of %(mission)s") % {"mission": self.mission}


class ReportVersion(models.Model):
    """One saved state of the report's text."""

    # In the order the report prints them.
    SECTIONS = (
        "summary",
        "context",
        "request",
        "programme",
        "places",
        "people_met",
        "conclusions",
    )
    # Personal data: never in the public version, whatever the version says.
    ALWAYS_INTERNAL = ("people_met",)

    report = models.ForeignKey(MissionReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    summary = models.TextField(_("summary"), blank=True)
    context = models.TextField(_("context"), blank=True)
    request = models.TextField(_("the request"), blank=True)
    programme = models.TextField(_("programme of the mission"), blank=True)
    places = models.TextField(_("places visited"), blank=True)
    people_met = models.TextField(_("people and organisations met"), blank=True)
    conclusions = models.TextField(_("conclusions and recommendations"), blank=True)
    # The names of the sections kept out of the public version.
    internal_sections = models.JSONField(default=list, blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")
        ]

    def __str__(self) -> str:
        return gettext("%(report)s v%(number)s") % {"report": self.report, "number": self.number}

    def is_public(self, section: str) -> bool:
        return section not in self.ALWAYS_INTERNAL and section not in self.internal_sections


class ReportFinding(models.Model):
    """One finding of one version: about a cluster, a cross-cutting issue, or the coordination
    as a whole (neither). Copied into each new version, so earlier versions stay as they were."""

    version = models.ForeignKey(ReportVersion, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField(default=0)
    cluster = models.ForeignKey(
        "clusters.GlobalCluster", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issue = models.ForeignKey(
        "clusters.CrossCuttingIssue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cross-cutting issue"),
    )
    text = models.TextField()
    # Security details, names of individuals, sensitive remarks: kept out of the public version.
    internal = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cluster__isnull=True) | Q(issue__isnull=True),
                name="finding_is_about_one_thing",
            )
        ]

    def __str__(self) -> str:
        return gettext("Finding %(position)s of %(version)s") % {
            "position": self.position,
            "version": self.version,
        }

    @property
    def area(self) -> str:
        if self.cluster_id:
            return self.cluster.name
        if self.issue_id:
            return self.issue.name
        return gettext("Inter-cluster coordination")


class ReportRecipient(ChoiceLabels, models.Model):
    """One address on a mission's distribution list."""

    class Source(models.TextChoices):
        LEAD_AGENCY = "lead_agency", _("Global cluster lead agency")
        CLUSTER_FOCAL_POINT = "cluster_focal_point", _("Global cluster focal point")
        CCI_FOCAL_POINT = "cci_focal_point", _("Cross-cutting issue focal point")
        NGO_CONSORTIUM = "ngo_consortium", _("NGO consortium")
        COUNTRY = "country", _("RC/HC office and HCT")
        ADDED = "added", _("Added by hand")

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="report_recipients"
    )
    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    # Stored in lower case, so that one address is on the list once.
    email = models.EmailField(_("address"), max_length=254)
    source = models.CharField(max_length=30, choices=Source.choices, default=Source.ADDED)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mission", "source", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["mission", "email"], name="one_recipient_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"
