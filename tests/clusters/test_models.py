"""The model mixins every app shares."""

from django.apps import apps

from clusters.models import ChoiceLabels

APPS = ("clusters", "commitments", "missions", "reports")


def test_every_model_with_choices_labels_them_at_one_translation():
    """Django's get_FOO_display builds a dict of every choice at each call and hashes each
    lazy label, a translation apiece: a mission's history of nine steps cost 250 of them."""
    plain = sorted(
        model.__name__
        for name in APPS
        for model in apps.get_app_config(name).get_models()
        if any(field.choices for field in model._meta.concrete_fields)
        and not issubclass(model, ChoiceLabels)
    )
    assert plain == []
