"""The Terms of Reference: a mission's ToR and its versions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


class TermsOfReference(models.Model):
    """A mission's ToR. Its text lives in versions; the newest version is the current one."""

    mission = models.OneToOneField("missions.Mission", on_delete=models.CASCADE, related_name="tor")
    # Set when the GCC or the leader marks the current version final; any new version clears it.
    final_version = models.ForeignKey(
        "missions.ToRVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Terms of Reference")
        verbose_name_plural = _("Terms of Reference")

    def __str__(self) -> str:
        return gettext("ToR of %(mission)s") % {"mission": self.mission}


# The change note of version 1, stored as this English key and shown in the reader's language.
START_NOTE = gettext_noop("Started from the Task Team's agreed focus")


class ToRVersion(models.Model):
    """One saved state of a ToR: who wrote it, when, and what they said they changed."""

    SECTIONS = ("background", "focus", "objectives", "deliverables", "team", "timing")

    tor = models.ForeignKey(TermsOfReference, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    background = models.TextField(_("background and context"), blank=True)
    focus = models.TextField(_("focus of the mission"), blank=True)
    objectives = models.TextField(blank=True)
    deliverables = models.TextField(_("expected deliverables"), blank=True)
    team = models.TextField(_("team composition"), blank=True)
    timing = models.TextField(_("timing and itinerary"), blank=True)
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tor", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tor", "number"], name="one_tor_version_number")
        ]

    def __str__(self) -> str:
        return gettext("%(tor)s v%(number)s") % {"tor": self.tor, "number": self.number}

    @property
    def change_note_shown(self) -> str:
        """The note as the reader reads it: version 1's in their language, others as typed."""
        return gettext(START_NOTE) if self.change_note == START_NOTE else self.change_note
