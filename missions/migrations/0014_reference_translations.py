"""The reference data in the five languages besides English (HCSS edits them in the admin).

Rows are found by what does not change with the language (a code, a number, the English name);
a row an operator removed is skipped. An empty text stays empty: it reads as English.
"""

from django.db import migrations

TRANSLATIONS = {
    "ChecklistItem": {
        "ar": {
            "Accommodation and transport in the country": {
                "description": "مكان إقامة الفريق ووسائل تنقله.",
                "name": "الإقامة والتنقل في البلد",
            },
            "Arrival and departure confirmed": {
                "description": "تواريخ الوصول والمغادرة نهائية.",
                "name": "تأكيد الوصول والمغادرة",
            },
            "Country counterpart named": {
                "description": "شخص في البلد يتولى دور النظير للمشارك.",
                "name": "تسمية النظير القطري",
            },
            "Programme in the country agreed": {
                "description": "اجتماعات وزيارات "
                "ميدانية متفق "
                "عليها مع مكتب "
                "المنسق "
                "المقيم/منسق "
                "الشؤون "
                "الإنسانية.",
                "name": "الاتفاق على البرنامج في البلد",
            },
            "Security briefing arranged": {
                "description": "إحاطة تقدمها إدارة شؤون السلامة والأمن عند الوصول.",
                "name": "ترتيب الإحاطة الأمنية",
            },
            "Security clearance": {
                "description": "التصريح الأمني للأمم المتحدة للسفر إلى البلد وداخله.",
                "name": "التصريح الأمني",
            },
            "Travel booked": {
                "description": "حُجزت الرحلات الجوية أو البرية من البلد وإليه.",
                "name": "حجز السفر",
            },
            "Visa": {
                "description": "تأشيرة، أو تأكيد بعدم الحاجة إليها، لكامل مدة الإقامة.",
                "name": "التأشيرة",
            },
        },
        "es": {
            "Accommodation and transport in the country": {
                "description": "Dónde se aloja el equipo y cómo se desplaza.",
                "name": "Alojamiento y transporte en el país",
            },
            "Arrival and departure confirmed": {
                "description": "Las fechas de llegada y salida son definitivas.",
                "name": "Llegada y salida confirmadas",
            },
            "Country counterpart named": {
                "description": "Una persona en el país es la contraparte del participante.",
                "name": "Contraparte en el país designada",
            },
            "Programme in the country agreed": {
                "description": "Reuniones y "
                "visitas sobre el "
                "terreno "
                "acordadas con la "
                "oficina del "
                "CR/CH.",
                "name": "Programa en el país acordado",
            },
            "Security briefing arranged": {
                "description": "Una sesión informativa del UNDSS a la llegada.",
                "name": "Sesión informativa sobre seguridad organizada",
            },
            "Security clearance": {
                "description": "Autorización de seguridad de "
                "las Naciones Unidas para "
                "viajar al país y dentro de "
                "él.",
                "name": "Autorización de seguridad",
            },
            "Travel booked": {
                "description": "Los vuelos o los viajes por "
                "carretera de ida y vuelta al país "
                "están reservados.",
                "name": "Viaje reservado",
            },
            "Visa": {
                "description": "Un visado, o la confirmación de que no se "
                "necesita, para toda la estancia.",
                "name": "Visado",
            },
        },
        "fr": {
            "Accommodation and transport in the country": {
                "description": "Lieu d’hébergement de l’équipe et moyens de déplacement.",
                "name": "Hébergement et transport dans le pays",
            },
            "Arrival and departure confirmed": {
                "description": "Les dates d’arrivée et de départ sont définitives.",
                "name": "Arrivée et départ confirmés",
            },
            "Country counterpart named": {
                "description": "Une personne dans le pays est l’homologue du participant.",
                "name": "Homologue dans le pays désigné",
            },
            "Programme in the country agreed": {
                "description": "Réunions et visites de terrain convenues avec le bureau du CR/CH.",
                "name": "Programme dans le pays convenu",
            },
            "Security briefing arranged": {
                "description": "Un briefing du "
                "Département de la "
                "sûreté et de la "
                "sécurité (UNDSS) à "
                "l’arrivée.",
                "name": "Briefing de sécurité organisé",
            },
            "Security clearance": {
                "description": "Autorisation de sécurité des "
                "Nations Unies pour se rendre "
                "dans le pays et s’y déplacer.",
                "name": "Autorisation de sécurité",
            },
            "Travel booked": {
                "description": "Les vols ou trajets routiers à "
                "destination et en provenance du "
                "pays sont réservés.",
                "name": "Voyage réservé",
            },
            "Visa": {
                "description": "Un visa, ou la confirmation qu’aucun n’est "
                "nécessaire, pour toute la durée du séjour.",
                "name": "Visa",
            },
        },
        "ru": {
            "Accommodation and transport in the country": {
                "description": "Где размещается группа и как она передвигается.",
                "name": "Проживание и транспорт в стране",
            },
            "Arrival and departure confirmed": {
                "description": "Даты прибытия и отъезда окончательные.",
                "name": "Прибытие и отъезд подтверждены",
            },
            "Country counterpart named": {
                "description": "В стране определён "
                "человек, выступающий "
                "контактным лицом "
                "участника.",
                "name": "Контактное лицо в стране назначено",
            },
            "Programme in the country agreed": {
                "description": "Встречи и выезды на места согласованы с канцелярией КР/КГВ.",
                "name": "Программа в стране согласована",
            },
            "Security briefing arranged": {
                "description": "Инструктаж ДОБ ООН по прибытии.",
                "name": "Инструктаж по безопасности организован",
            },
            "Security clearance": {
                "description": "Разрешение службы "
                "безопасности ООН на поездку в "
                "страну и передвижение по ней.",
                "name": "Разрешение по линии безопасности",
            },
            "Travel booked": {
                "description": "Забронированы авиабилеты или "
                "наземный транспорт в страну и "
                "обратно.",
                "name": "Поездка забронирована",
            },
            "Visa": {
                "description": "Виза или подтверждение того, что она не "
                "требуется, на весь срок пребывания.",
                "name": "Виза",
            },
        },
        "zh_hans": {
            "Accommodation and transport in the country": {
                "description": "团队的住宿地点和出行方式。",
                "name": "国内住宿和交通",
            },
            "Arrival and departure confirmed": {
                "description": "抵达和离开日期已最后确定。",
                "name": "抵离日期已确认",
            },
            "Country counterpart named": {
                "description": "该国有人担任参与者的对口人员。",
                "name": "已指定国内对口人员",
            },
            "Programme in the country agreed": {
                "description": "已与驻地协调员/人道主义协调员办公室商定会议和实地访问安排。",
                "name": "国内日程已商定",
            },
            "Security briefing arranged": {
                "description": "抵达时由联合国安全和安保部进行简报。",
                "name": "已安排安保简报",
            },
            "Security clearance": {
                "description": "前往该国及在该国境内旅行的联合国安保许可。",
                "name": "安保许可",
            },
            "Travel booked": {
                "description": "往返该国的航班或陆路行程已预订。",
                "name": "已预订行程",
            },
            "Visa": {
                "description": "已取得覆盖整个停留期的签证，或已确认无需签证。",
                "name": "签证",
            },
        },
    },
    "ScoringCriterion": {
        "ar": {
            "Feasibility and security": {
                "description": "ما إذا كان بإمكان "
                "الفريق السفر إلى "
                "البلد والعمل فيه "
                "خلال الفترة "
                "المطلوبة.",
                "name": "الجدوى والأمن",
            },
            "No clash with planned evaluations": {
                "description": "تكون الدرجة "
                "أعلى عندما "
                "لا يقع أي "
                "تقييم أو "
                "استعراض آخر "
                "ضمن فترة "
                "البعثة.",
                "name": "عدم التعارض مع التقييمات المقررة",
            },
            "Scale and urgency of the emergency": {
                "description": "عدد الأشخاص المتضررين ومدى سرعة تغير الوضع.",
                "name": "حجم حالة الطوارئ ومدى إلحاحها",
            },
            "Strength of the HCT's agreement": {
                "description": "مدى وضوح "
                "اتفاق الفريق "
                "القطري للعمل "
                "الإنساني على "
                "الحاجة إلى "
                "البعثة وعلى "
                "الغرض منها.",
                "name": "قوة اتفاق الفريق القطري للعمل الإنساني",
            },
            "Time since the last mission": {
                "description": "تكون الدرجة أعلى "
                "عندما لا يكون "
                "البلد قد تلقى "
                "بعثة دعم منذ مدة "
                "طويلة.",
                "name": "المدة المنقضية منذ آخر بعثة",
            },
        },
        "es": {
            "Feasibility and security": {
                "description": "Si un equipo puede "
                "viajar y trabajar en "
                "el país en el "
                "período solicitado.",
                "name": "Viabilidad y seguridad",
            },
            "No clash with planned evaluations": {
                "description": "Más alta "
                "cuando "
                "ninguna "
                "evaluación "
                "u otro "
                "examen "
                "coincide "
                "con el "
                "período de "
                "la misión.",
                "name": "Sin coincidencia con evaluaciones previstas",
            },
            "Scale and urgency of the emergency": {
                "description": "Cuántas "
                "personas "
                "están "
                "afectadas "
                "y con qué "
                "rapidez "
                "evoluciona "
                "la "
                "situación.",
                "name": "Magnitud y urgencia de la emergencia",
            },
            "Strength of the HCT's agreement": {
                "description": "Con qué "
                "claridad "
                "acordó el EHP "
                "la necesidad "
                "de la misión "
                "y su "
                "finalidad.",
                "name": "Solidez del acuerdo del EHP",
            },
            "Time since the last mission": {
                "description": "Más alta cuando "
                "el país lleva "
                "mucho tiempo sin "
                "recibir una "
                "misión de apoyo.",
                "name": "Tiempo transcurrido desde la última misión",
            },
        },
        "fr": {
            "Feasibility and security": {
                "description": "Possibilité pour une "
                "équipe de se rendre "
                "et de travailler "
                "dans le pays pendant "
                "la période demandée.",
                "name": "Faisabilité et sécurité",
            },
            "No clash with planned evaluations": {
                "description": "Note plus "
                "élevée "
                "lorsqu’aucune "
                "évaluation "
                "ni aucun "
                "autre "
                "examen ne "
                "tombe "
                "pendant la "
                "période de "
                "la mission.",
                "name": "Absence de chevauchement avec des évaluations prévues",
            },
            "Scale and urgency of the emergency": {
                "description": "Nombre de "
                "personnes "
                "affectées "
                "et "
                "rapidité "
                "d’évolution "
                "de la "
                "situation.",
                "name": "Ampleur et urgence de la situation d’urgence",
            },
            "Strength of the HCT's agreement": {
                "description": "Clarté de "
                "l’accord de "
                "l’EHP sur la "
                "nécessité de "
                "la mission et "
                "sur son "
                "objet.",
                "name": "Solidité de l’accord de l’EHP",
            },
            "Time since the last mission": {
                "description": "Note plus élevée "
                "lorsque le pays "
                "n’a pas bénéficié "
                "de mission "
                "d’appui depuis "
                "longtemps.",
                "name": "Temps écoulé depuis la dernière mission",
            },
        },
        "ru": {
            "Feasibility and security": {
                "description": "Может ли группа "
                "выехать в страну и "
                "работать в ней в "
                "запрошенный период.",
                "name": "Осуществимость и безопасность",
            },
            "No clash with planned evaluations": {
                "description": "Выше, если "
                "на период "
                "миссии не "
                "приходится "
                "ни оценок, "
                "ни других "
                "обзоров.",
                "name": "Отсутствие совпадения с запланированными оценками",
            },
            "Scale and urgency of the emergency": {
                "description": "Сколько людей затронуто и насколько быстро меняется ситуация.",
                "name": "Масштаб и неотложность чрезвычайной ситуации",
            },
            "Strength of the HCT's agreement": {
                "description": "Насколько чётко ГСГ согласовала необходимость миссии и её цель.",
                "name": "Весомость решения ГСГ",
            },
            "Time since the last mission": {
                "description": "Выше, если в стране давно не было миссии поддержки.",
                "name": "Время, прошедшее после последней миссии",
            },
        },
        "zh_hans": {
            "Feasibility and security": {
                "description": "团队能否在所请求的时间窗口内前往该国并开展工作。",
                "name": "可行性和安保",
            },
            "No clash with planned evaluations": {
                "description": "支助团时间窗口内没有评价或其他审查时，得分较高。",
                "name": "与已计划的评价不冲突",
            },
            "Scale and urgency of the emergency": {
                "description": "受影响人数以及局势变化的速度。",
                "name": "紧急情况的规模和紧迫性",
            },
            "Strength of the HCT's agreement": {
                "description": "人道主义国家工作队就派遣支助团的必要性及其目的达成一致的明确程度。",
                "name": "人道主义国家工作队同意的力度",
            },
            "Time since the last mission": {
                "description": "该国长期未接受支助团时，得分较高。",
                "name": "距上一次支助团的时间",
            },
        },
    },
}

LOOKUP = {
    "ScoringCriterion": lambda key: {"name_en_gb": key},
    "ChecklistItem": lambda key: {"name_en_gb": key},
}


def translate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("missions", model_name)
        for language, rows in languages.items():
            for key, fields in rows.items():
                values = {f"{field}_{language}": text or None for field, text in fields.items()}
                model.objects.filter(**LOOKUP[model_name](key)).update(**values)


def untranslate(apps, schema_editor):
    for model_name, languages in TRANSLATIONS.items():
        model = apps.get_model("missions", model_name)
        for language, rows in languages.items():
            fields = {field for texts in rows.values() for field in texts}
            model.objects.update(**{f"{field}_{language}": None for field in fields})


class Migration(migrations.Migration):
    dependencies = [("missions", "0013_reference_data_languages")]

    operations = [migrations.RunPython(translate, untranslate)]
