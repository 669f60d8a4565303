"""HCSS, the Task Team and the GCC now hold their permissions on every mission by rule
(missions.selectors.missions.GlobalRoleBackend): the rows each mission wrote for their groups
go. Reversing writes them back for every mission."""

from django.db import migrations

GLOBAL_ROLE_PERMS = {
    "hcss": ("view_mission", "triage_mission", "cancel_mission"),
    "task_team": ("view_mission", "decide_mission"),
    "gcc": ("view_mission", "plan_mission"),
}


def drop_global_rows(apps, schema_editor):
    rows = apps.get_model("missions", "MissionGroupObjectPermission")
    rows.objects.filter(group__name__in=[f"icsm:{role}" for role in GLOBAL_ROLE_PERMS]).delete()


def write_global_rows(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Mission = apps.get_model("missions", "Mission")
    rows = apps.get_model("missions", "MissionGroupObjectPermission")
    for role, codenames in GLOBAL_ROLE_PERMS.items():
        group, _created = Group.objects.get_or_create(name=f"icsm:{role}")
        for permission in Permission.objects.filter(
            content_type__app_label="missions", codename__in=codenames
        ):
            rows.objects.bulk_create(
                [
                    rows(group=group, permission=permission, content_object_id=pk)
                    for pk in Mission.objects.values_list("pk", flat=True)
                ],
                ignore_conflicts=True,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("missions", "0014_reference_translations"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_global_rows, write_global_rows)]
