"""The framework's wording in every language (django-modeltranslation); see
clusters/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from commitments.models import FrameworkItem, FrameworkVersion


@register(FrameworkVersion)
class FrameworkVersionTranslation(TranslationOptions):
    fields = ("name",)


@register(FrameworkItem)
class FrameworkItemTranslation(TranslationOptions):
    fields = ("title", "text", "explanation")
