from django.db import migrations

# (name, description, weight, top of scale)
CRITERIA = [
    ("Scale and urgency of the emergency",
     "How many people are affected and how fast the situation is changing.", 3, 5),
    ("Strength of the HCT's agreement",
     "How clearly the HCT agreed on the need for the mission and its purpose.", 2, 5),
    ("Time since the last mission",
     "Higher when the country has had no support mission for a long time.", 1, 5),
    ("No clash with planned evaluations",
     "Higher when no evaluation or other review falls in the mission's window.", 1, 5),
    ("Feasibility and security",
     "Whether a team can travel and work in the country in the window asked for.", 2, 5),
]


def seed(apps, schema_editor):
    ScoringCriterion = apps.get_model("missions", "ScoringCriterion")
    for position, (name, description, weight, scale_max) in enumerate(CRITERIA, start=1):
        ScoringCriterion.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "weight": weight,
                "scale_max": scale_max,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("missions", "0002_intake_prioritisation_notices")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
