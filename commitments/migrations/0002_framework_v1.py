from django.db import migrations


def load(apps, schema_editor):
    from commitments.reference import load_framework_v1

    load_framework_v1(apps)


class Migration(migrations.Migration):
    dependencies = [("commitments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
