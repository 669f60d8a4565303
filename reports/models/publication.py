"""The publication of a mission report's public version, as a small state machine."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from clusters.models import ChoiceLabels, ConcurrentTransitions
from missions.workflow import Machine, TransitionLogBase, holds
from reports.models.document import Document


class PublicationStatus(models.TextChoices):
    UNPUBLISHED = "unpublished", _("Not published")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def leads(publication: Publication, user) -> bool:
    return holds(user, "lead_mission", publication.mission)


class Publication(ChoiceLabels, ConcurrentTransitions, models.Model):
    """A mission's public report: which final version is public, its public PDF and summary.

    One per mission. Publishing again after a newer final version makes that one public.
    """

    mission = models.OneToOneField(
        "missions.Mission", on_delete=models.CASCADE, related_name="publication"
    )
    status = FSMField(
        default=PublicationStatus.UNPUBLISHED,
        choices=PublicationStatus.choices,
        protected=True,
        db_index=True,
    )
    version = models.PositiveIntegerField(null=True, blank=True)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Copied from the public summary when published: the public page and the feed show it.
    summary = models.TextField(blank=True)
    # The year the public page files it under (the mission's year in the country).
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return gettext("Publication of %(mission)s") % {"mission": self.mission}

    @transition(
        status,
        source=[PublicationStatus.UNPUBLISHED, PublicationStatus.WITHDRAWN],
        target=PublicationStatus.PUBLISHED,
        permission=leads,
        custom={"label": _("Publish the public version")},
    )
    def publish(self):
        pass

    @transition(
        status,
        source=PublicationStatus.PUBLISHED,
        target=PublicationStatus.WITHDRAWN,
        permission=leads,
        custom={"label": _("Withdraw the publication"), "inputs": ("reason",)},
    )
    def withdraw(self, reason: str):
        pass


class PublicationLog(TransitionLogBase):
    """One row per publication or withdrawal: the publication log HCSS and the leader read."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="log")
    source = models.CharField(max_length=20, choices=PublicationStatus.choices)
    target = models.CharField(max_length=20, choices=PublicationStatus.choices)
    # The report version made public (or withdrawn).
    version = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.publication}: {self.transition}"


PUBLICATION = Machine(
    name="publication",
    model=Publication,
    transitions=("publish", "withdraw"),
    log_model=PublicationLog,
    log_fk="publication",
    noun="publication",
)
