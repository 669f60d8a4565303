"""The reference data in the five languages besides English (HCSS edits them in the admin).

Rows are found by what does not change with the language (a code, a number, the English name);
a row an operator removed is skipped. An empty text stays empty: it reads as English.
"""

from django.db import migrations

TRANSLATIONS = {
    "CrossCuttingIssue": {
        "ar": {
            "aap": {"name": "المساءلة أمام السكان المتضررين"},
            "age": {"name": "السن"},
            "environment": {"name": "البيئة"},
            "gender": {"name": "المساواة بين الجنسين"},
            "hiv-aids": {"name": "فيروس نقص المناعة البشرية/الإيدز"},
            "mhpss": {"name": "الصحة العقلية والدعم النفسي والاجتماعي"},
            "protection": {"name": "الحماية"},
            "psea": {"name": "الحماية من الاستغلال والانتهاك الجنسيين"},
        },
        "es": {
            "aap": {"name": "Rendición de cuentas a las personas afectadas"},
            "age": {"name": "Edad"},
            "environment": {"name": "Medio ambiente"},
            "gender": {"name": "Género"},
            "hiv-aids": {"name": "VIH/SIDA"},
            "mhpss": {"name": "Salud mental y apoyo psicosocial"},
            "protection": {"name": "Protección"},
            "psea": {"name": "Protección contra la explotación y el abuso sexuales"},
        },
        "fr": {
            "aap": {"name": "Redevabilité envers les populations affectées"},
            "age": {"name": "Âge"},
            "environment": {"name": "Environnement"},
            "gender": {"name": "Genre"},
            "hiv-aids": {"name": "VIH/sida"},
            "mhpss": {"name": "Santé mentale et soutien psychosocial"},
            "protection": {"name": "Protection"},
            "psea": {"name": "Protection contre l’exploitation et les abus sexuels"},
        },
        "ru": {
            "aap": {"name": "Подотчётность перед затронутым населением"},
            "age": {"name": "Возраст"},
            "environment": {"name": "Окружающая среда"},
            "gender": {"name": "Гендерная проблематика"},
            "hiv-aids": {"name": "ВИЧ/СПИД"},
            "mhpss": {"name": "Психическое здоровье и психосоциальная поддержка"},
            "protection": {"name": "Защита"},
            "psea": {"name": "Защита от сексуальной эксплуатации и сексуальных надругательств"},
        },
        "zh_hans": {
            "aap": {"name": "对受影响民众的问责"},
            "age": {"name": "年龄"},
            "environment": {"name": "环境"},
            "gender": {"name": "性别"},
            "hiv-aids": {"name": "艾滋病毒/艾滋病"},
            "mhpss": {"name": "精神卫生和心理社会支持"},
            "protection": {"name": "保护"},
            "psea": {"name": "防止性剥削和性虐待"},
        },
    },
    "GlobalCluster": {
        "ar": {
            "cccm": {"name": "تنسيق المخيمات وإدارتها"},
            "early-recovery": {"name": "الإنعاش المبكر"},
            "education": {"name": "التعليم"},
            "etc": {"name": "الاتصالات في حالات الطوارئ"},
            "food-security": {"name": "الأمن الغذائي"},
            "health": {"name": "الصحة"},
            "logistics": {"name": "اللوجستيات"},
            "nutrition": {"name": "التغذية"},
            "protection": {"name": "الحماية"},
            "shelter": {"name": "المأوى في حالات الطوارئ"},
            "wash": {"name": "المياه والصرف الصحي والنظافة الصحية"},
        },
        "es": {
            "cccm": {"name": "Coordinación y Gestión de Campamentos"},
            "early-recovery": {"name": "Recuperación Temprana"},
            "education": {"name": "Educación"},
            "etc": {"name": "Telecomunicaciones de Emergencia"},
            "food-security": {"name": "Seguridad Alimentaria"},
            "health": {"name": "Salud"},
            "logistics": {"name": "Logística"},
            "nutrition": {"name": "Nutrición"},
            "protection": {"name": "Protección"},
            "shelter": {"name": "Alojamiento de Emergencia"},
            "wash": {"name": "Agua, Saneamiento e Higiene"},
        },
        "fr": {
            "cccm": {"name": "Coordination et gestion des camps"},
            "early-recovery": {"name": "Relèvement précoce"},
            "education": {"name": "Éducation"},
            "etc": {"name": "Télécommunications d’urgence"},
            "food-security": {"name": "Sécurité alimentaire"},
            "health": {"name": "Santé"},
            "logistics": {"name": "Logistique"},
            "nutrition": {"name": "Nutrition"},
            "protection": {"name": "Protection"},
            "shelter": {"name": "Abris d’urgence"},
            "wash": {"name": "Eau, assainissement et hygiène"},
        },
        "ru": {
            "cccm": {"name": "Координация и управление лагерями"},
            "early-recovery": {"name": "Раннее восстановление"},
            "education": {"name": "Образование"},
            "etc": {"name": "Экстренная связь"},
            "food-security": {"name": "Продовольственная безопасность"},
            "health": {"name": "Здравоохранение"},
            "logistics": {"name": "Логистика"},
            "nutrition": {"name": "Питание"},
            "protection": {"name": "Защита"},
            "shelter": {"name": "Экстренное обеспечение жильём"},
            "wash": {"name": "Водоснабжение, санитария и гигиена"},
        },
        "zh_hans": {
            "cccm": {"name": "营地协调和营地管理"},
            "early-recovery": {"name": "早期恢复"},
            "education": {"name": "教育"},
            "etc": {"name": "应急电信"},
            "food-security": {"name": "粮食安全"},
            "health": {"name": "卫生"},
            "logistics": {"name": "后勤"},
            "nutrition": {"name": "营养"},
            "protection": {"name": "保护"},
            "shelter": {"name": "应急住所"},
            "wash": {"name": "水、环境卫生和个人卫生"},
        },
    },
}

LOOKUP = {
    "GlobalCluster": lambda key: {"code": key},
    "CrossCuttingIssue": lambda key: {"code": key},
}


def translate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("clusters", model_name)
        for language, rows in languages.items():
            for key, fields in rows.items():
                values = {f"{field}_{language}": text or None for field, text in fields.items()}
                model.objects.filter(**LOOKUP[model_name](key)).update(**values)


def untranslate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("clusters", model_name)
        for language, rows in languages.items():
            fields = {field for texts in rows.values() for field in texts}
            model.objects.update(**{f"{field}_{language}": None for field in fields})


class Migration(migrations.Migration):
    dependencies = [("clusters", "0006_languages")]

    operations = [migrations.RunPython(translate, untranslate)]
