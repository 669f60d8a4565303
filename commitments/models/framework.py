"""The framework partners assess themselves against, as versioned reference data.

A version holds the Minimum Commitments for participating in a cluster, the Principles of
Partnership and the three Rs of accountability. Answers point to the items of the version
their round used, so a newer version (the IASC reference module of 2015 counts twelve
commitments) is added beside the old one and past answers keep their meaning. An item's
`code` stays the same from one version to the next for the same commitment: trends over
rounds follow the code.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.models import ChoiceLabels


class FrameworkVersion(models.Model):
    number = models.PositiveSmallIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.TextField(_("source"), blank=True, help_text=_("Where the wording comes from."))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("framework version")

    def __str__(self) -> str:
        return gettext("%(name)s (v%(number)s)") % {"name": self.name, "number": self.number}


class ItemKind(models.TextChoices):
    COMMITMENT = "commitment", _("Minimum Commitment")
    PRINCIPLE = "principle", _("Principle of Partnership")
    ACCOUNTABILITY = "accountability", _("Accountability (the three Rs)")


# What a self-assessment rates; the three Rs frame the picture and are not rated.
ASSESSED_KINDS = (ItemKind.COMMITMENT, ItemKind.PRINCIPLE)


class FrameworkItem(ChoiceLabels, models.Model):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    code = models.SlugField(
        _("code"),
        max_length=50,
        help_text=_(
            "Keep the same code in a later version for the same commitment: trends follow it."
        ),
    )
    title = models.CharField(_("short title"), max_length=120)
    text = models.TextField(_("wording"))
    explanation = models.TextField(_("explanation"), blank=True)
    key = models.BooleanField(
        _("key commitment"),
        default=False,
        help_text=_("Fundamental to accountability: highlighted in the cluster's picture."),
    )

    class Meta:
        ordering = ["version__number", "kind", "number"]
        verbose_name = _("framework item")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "kind", "number"], name="framework_item_number_unique"
            ),
            models.UniqueConstraint(fields=["version", "code"], name="framework_item_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"
