"""Reference data read in every language (django-modeltranslation): each field gets one
column per language, edited in the admin; an empty translation falls back to English."""

from modeltranslation.translator import TranslationOptions, register

from clusters.models import CrossCuttingIssue, GlobalCluster


@register(GlobalCluster)
class GlobalClusterTranslation(TranslationOptions):
    fields = ("name",)


@register(CrossCuttingIssue)
class CrossCuttingIssueTranslation(TranslationOptions):
    fields = ("name",)
