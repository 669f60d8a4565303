from django.db import migrations

# (name, description, per participant, due days before the start)
ITEMS = [
    ("Travel booked", "Flights or road travel to and from the country are booked.", True, 10),
    ("Visa", "A visa, or confirmation that none is needed, for the whole stay.", True, 14),
    ("Security clearance", "UN security clearance for travel to the country and within it.",
     True, 7),
    ("Arrival and departure confirmed", "Dates of arrival and departure are final.", True, 7),
    ("Country counterpart named", "Someone in the country is the participant's counterpart.",
     True, 7),
    ("Programme in the country agreed", "Meetings and field visits agreed with the RC/HC office.",
     False, 7),
    ("Accommodation and transport in the country", "Where the team stays and how it moves.",
     False, 5),
    ("Security briefing arranged", "A briefing by UNDSS on arrival.", False, 3),
]


def seed(apps, schema_editor):
    ChecklistItem = apps.get_model("missions", "ChecklistItem")
    for order, (name, description, per_participant, due) in enumerate(ITEMS, start=1):
        ChecklistItem.objects.get_or_create(
            name=name,
            defaults={
                "description": description,
                "per_participant": per_participant,
                "due_days_before": due,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("missions", "0006_planning")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
