"""The Task Team's criteria and the logistics checklist in every language
(django-modeltranslation); see clusters/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from missions.models import ChecklistItem, ScoringCriterion


@register(ScoringCriterion)
class ScoringCriterionTranslation(TranslationOptions):
    fields = ("name", "description")


@register(ChecklistItem)
class ChecklistItemTranslation(TranslationOptions):
    fields = ("name", "description")
