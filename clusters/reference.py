"""The reference data every installation starts with (loaded by a data migration)."""

import csv
from pathlib import Path

COUNTRIES_CSV = Path(__file__).parent / "data" / "countries.csv"

# (acronym, name, kind)
ORGANISATIONS = [
    ("FAO", "Food and Agriculture Organization of the United Nations", "un_agency"),
    ("IOM", "International Organization for Migration", "un_agency"),
    ("OCHA", "UN Office for the Coordination of Humanitarian Affairs", "un_agency"),
    ("UNDP", "United Nations Development Programme", "un_agency"),
    ("UNFPA", "United Nations Population Fund", "un_agency"),
    ("UNHCR", "Office of the UN High Commissioner for Refugees", "un_agency"),
    ("UNICEF", "United Nations Children's Fund", "un_agency"),
    ("WFP", "World Food Programme", "un_agency"),
    ("WHO", "World Health Organization", "un_agency"),
    ("UNAIDS", "Joint United Nations Programme on HIV/AIDS", "un_agency"),
    ("IFRC", "International Federation of Red Cross and Red Crescent Societies", "red_cross"),
    ("SC", "Save the Children", "ngo"),
    ("ICVA", "International Council of Voluntary Agencies", "ngo_consortium"),
    ("InterAction", "InterAction", "ngo_consortium"),
    ("SCHR", "Steering Committee for Humanitarian Response", "ngo_consortium"),
]

# (code, name, lead agency acronyms): the IASC global clusters.
GLOBAL_CLUSTERS = [
    ("cccm", "Camp Coordination and Camp Management", ["IOM", "UNHCR"]),
    ("early-recovery", "Early Recovery", ["UNDP"]),
    ("education", "Education", ["UNICEF", "SC"]),
    ("shelter", "Emergency Shelter", ["UNHCR", "IFRC"]),
    ("etc", "Emergency Telecommunications", ["WFP"]),
    ("food-security", "Food Security", ["FAO", "WFP"]),
    ("health", "Health", ["WHO"]),
    ("logistics", "Logistics", ["WFP"]),
    ("nutrition", "Nutrition", ["UNICEF"]),
    ("protection", "Protection", ["UNHCR"]),
    ("wash", "Water, Sanitation and Hygiene", ["UNICEF"]),
]

CROSS_CUTTING_ISSUES = [
    ("gender", "Gender"),
    ("age", "Age"),
    ("environment", "Environment"),
    ("hiv-aids", "HIV/AIDS"),
    ("protection", "Protection"),
    ("aap", "Accountability to affected people"),
    ("psea", "Protection from sexual exploitation and abuse"),
    ("mhpss", "Mental health and psychosocial support"),
]


def countries() -> list[tuple[str, str]]:
    with COUNTRIES_CSV.open(newline="", encoding="utf-8") as f:
        return [(row["code"], row["name"]) for row in csv.DictReader(f)]


def load_reference_data(apps) -> None:
    """Create or update the reference rows; safe to run again."""
    Country = apps.get_model("clusters", "Country")
    Organisation = apps.get_model("clusters", "Organisation")
    GlobalCluster = apps.get_model("clusters", "GlobalCluster")
    CrossCuttingIssue = apps.get_model("clusters", "CrossCuttingIssue")

    for code, name in countries():
        Country.objects.update_or_create(code=code, defaults={"name": name})
    orgs = {}
    for acronym, name, kind in ORGANISATIONS:
        orgs[acronym], _ = Organisation.objects.update_or_create(
            name=name, defaults={"acronym": acronym, "kind": kind}
        )
    for code, name, leads in GLOBAL_CLUSTERS:
        cluster, _ = GlobalCluster.objects.update_or_create(code=code, defaults={"name": name})
        cluster.lead_agencies.set([orgs[a] for a in leads])
    for code, name in CROSS_CUTTING_ISSUES:
        CrossCuttingIssue.objects.update_or_create(code=code, defaults={"name": name})
