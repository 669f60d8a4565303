"""The distribution of a mission's final report: one delivery per recipient and version."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels
from reports.models.document import Document


class Delivery(ChoiceLabels, models.Model):
    """The final report of one version sent to one address of the distribution list.

    Its e-mail is a notification row of the outbox (built when sent, with a personal link that
    expires), so that sent, failed and retried are the outbox's own record; the first
    download through the link is recorded here.
    """

    mission = models.ForeignKey(
        "missions.Mission", on_delete=models.CASCADE, related_name="deliveries"
    )
    # The list entry may be removed later; the delivery keeps who it went to.
    recipient = models.ForeignKey(
        "missions.ReportRecipient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    email = models.EmailField(_("address"), max_length=254)
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="deliveries")
    notification = models.OneToOneField(
        "missions.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delivery",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    first_downloaded_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["mission", "-version", "name", "pk"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "email", "version"], name="one_delivery_per_address_and_version"
            )
        ]

    def __str__(self) -> str:
        return gettext("Report v%(version)s of %(mission)s to %(email)s") % {
            "version": self.version,
            "mission": self.mission,
            "email": self.email,
        }
