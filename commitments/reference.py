"""Framework version 1, in the words of the IASC training module on working in partnership
(shared/seeds: "Minimum Commitments for Participation in the Cluster and Principles of
Partnership"). Loaded by a data migration; HCSS keeps it in the admin afterwards.

The key commitments are those the module calls fundamental to accountability: humanitarian
principles and the Principles of Partnership with standards and PSEA, accountability to
affected people, and the cross-cutting issues.
"""

VERSION_1 = {
    "number": 1,
    "name": "IASC Minimum Commitments and Principles of Partnership",
    "source": (
        "IASC Minimum Commitments for Participation in the Cluster (11 commitments) and the "
        "Principles of Partnership (Global Humanitarian Platform, 2007; transparency as the "
        "Global Nutrition Cluster presents it), with the three Rs of accountability to "
        "affected people."
    ),
}

# (code, short title, the seed's words, key)
COMMITMENTS = [
    (
        "principles-and-standards",
        "Humanitarian principles, Principles of Partnership, standards and PSEA",
        "Commitment to humanitarian principles, the Principles of Partnership, and cluster "
        "specific guidance and internationally recognized programme standards, including the "
        "Secretary-General's Bulletin on Special Measures for Protection from Sexual "
        "Exploitation and Sexual Abuse.",
        True,
    ),
    (
        "sub-national-leadership",
        "Leadership in sub-national or working groups",
        "Willingness to take on leadership responsibilities in sub-national or working groups "
        "as needed, subject to capacity and mandate.",
        False,
    ),
    (
        "accountability-to-affected-people",
        "Accountability to affected people",
        "Readiness to participate in actions that specifically improve accountability to "
        "affected people, in line with the IASC Commitments to Accountability to Affected "
        "Populations and the related Operational Framework.",
        True,
    ),
    (
        "cross-cutting-issues",
        "Cross-cutting issues",
        "Commitment to mainstream key programmatic cross-cutting issues (including age, "
        "gender, environment and HIV/AIDs).",
        True,
    ),
    (
        "active-participation",
        "Active participation",
        "Active participation in the cluster and a commitment to consistently engage in the "
        "cluster's collective work.",
        False,
    ),
    (
        "strategic-response-plan",
        "Contribution to the strategic response plan",
        "Capacity and willingness to contribute to the cluster's strategic response plan and "
        "activities, which must include inter-cluster coordination.",
        False,
    ),
    (
        "duties-of-membership",
        "Understanding of the duties of membership",
        "A demonstrated understanding of the duties and responsibilities associated with "
        "membership of the cluster, as defined by IASC ToRs and guidance notes, any "
        "cluster-specific guidance, and country cluster ToRs, where available.",
        False,
    ),
    (
        "advocacy",
        "Advocacy",
        "Undertake advocacy, and disseminate advocacy and advocacy messages to affected "
        "communities, the host Government, donors, the HCT, CLAs, the media and other "
        "audiences.",
        False,
    ),
    (
        "shared-resources",
        "Cooperation and shared resources",
        "Commitment to work cooperatively with other cluster partners to ensure an optimal "
        "and strategic use of available resources, and share information on organizational "
        "resources.",
        False,
    ),
    (
        "senior-staff",
        "Senior staff engagement",
        "Commitment from a relevant senior staff member to engage consistently in the cluster "
        "to fulfil its mission.",
        False,
    ),
    (
        "interpretation",
        "Interpretation in an appropriate language",
        "Ensure that the cluster provides interpretation (in an appropriate language) so that "
        "all partners in cluster are able to participate, including local organizations (and "
        "national and local authorities where appropriate).",
        False,
    ),
]

# (code, title, the seed's explanation, its note in plain words where the seed gives one)
PRINCIPLES = [
    (
        "equality",
        "Equality",
        "Equality requires mutual respect between members of the partnership irrespective of "
        "size and power. The participants must respect each other's mandates, obligations and "
        "independence and recognize each other's constraints and commitments. Mutual respect "
        "must not preclude organizations from engaging in constructive dissent.",
        "We can still disagree, but it should be in a constructive manner.",
    ),
    (
        "transparency",
        "Transparency",
        "Transparency is achieved through dialogue (on equal footing), with an emphasis on "
        "early consultations and early sharing of information. Communications and "
        "transparency, including financial transparency, increase the level of trust among "
        "organizations.",
        "",
    ),
    (
        "result-oriented-approach",
        "Result-oriented approach",
        "Effective humanitarian action must be reality-based and action-oriented. This "
        "requires result-oriented coordination based on effective capabilities and concrete "
        "operational capacities.",
        "",
    ),
    (
        "responsibility",
        "Responsibility",
        "Humanitarian organizations have an ethical obligation to each other to accomplish "
        "their tasks responsibly, with integrity and in a relevant and appropriate way. They "
        "must make sure they commit to activities only when they have the means, "
        "competencies, skills, and capacity to deliver on their commitments. Decisive and "
        "robust prevention of abuses committed by humanitarians must also be a constant "
        "effort.",
        "",
    ),
    (
        "complementarity",
        "Complementarity",
        "The diversity of the humanitarian community is an asset if we build on our "
        "comparative advantages and complement each other's contributions. Local capacity is "
        "one of the main assets to enhance and on which to build. Whenever possible, "
        "humanitarian organizations should strive to make it an integral part in emergency "
        "response. Language and cultural barriers must be overcome.",
        "",
    ),
]

# (code, title, wording): the mutual accountability of the cluster's partners.
THREE_RS = [
    ("rights", "Rights", "Protecting the rights of affected people."),
    ("results", "Results", "Mutual accountability for generating results."),
    (
        "relationships",
        "Relationships",
        "Maintaining effective relationships within the cluster, and with communities and "
        "other stakeholders.",
    ),
]


def load_framework_v1(apps) -> None:
    """Create or update version 1 and its items; safe to run again."""
    FrameworkVersion = apps.get_model("commitments", "FrameworkVersion")
    FrameworkItem = apps.get_model("commitments", "FrameworkItem")
    version, _ = FrameworkVersion.objects.update_or_create(
        number=VERSION_1["number"],
        defaults={"name": VERSION_1["name"], "source": VERSION_1["source"]},
    )
    rows = [
        ("commitment", number, code, title, text, "", key)
        for number, (code, title, text, key) in enumerate(COMMITMENTS, start=1)
    ]
    rows += [
        ("principle", number, code, title, text, note, False)
        for number, (code, title, text, note) in enumerate(PRINCIPLES, start=1)
    ]
    rows += [
        ("accountability", number, code, title, text, "", False)
        for number, (code, title, text) in enumerate(THREE_RS, start=1)
    ]
    for kind, number, code, title, text, explanation, key in rows:
        FrameworkItem.objects.update_or_create(
            version=version,
            code=code,
            defaults={
                "kind": kind,
                "number": number,
                "title": title,
                "text": text,
                "explanation": explanation,
                "key": key,
            },
        )
