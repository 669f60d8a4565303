"""The framework as reference data: version 1 in the seed's words, and a newer version beside
it that leaves past answers as they were."""

from commitments.models import Answer, FrameworkItem, FrameworkVersion, ItemKind
from commitments.reference import COMMITMENTS, PRINCIPLES
from commitments.selectors.framework import current_version, version_items
from commitments.selectors.picture import cluster_trend
from tests.commitments.factories import fill_round, open_round


def test_version_1_holds_the_eleven_commitments_the_five_principles_and_the_three_rs(db):
    version = FrameworkVersion.objects.get(number=1)
    items = version_items(version)
    assert [i.number for i in items[ItemKind.COMMITMENT]] == list(range(1, 12))
    assert [i.title for i in items[ItemKind.PRINCIPLE]] == [
        "Equality",
        "Transparency",
        "Result-oriented approach",
        "Responsibility",
        "Complementarity",
    ]
    assert [i.code for i in items[ItemKind.ACCOUNTABILITY]] == [
        "rights",
        "results",
        "relationships",
    ]


def test_the_commitments_are_in_the_seeds_words_and_the_key_ones_are_marked(db):
    items = {
        i.number: i for i in FrameworkItem.objects.filter(version__number=1, kind="commitment")
    }
    assert items[11].text.startswith("Ensure that the cluster provides interpretation")
    assert "Sexual Exploitation and Sexual Abuse" in items[1].text
    # Humanitarian principles with the PoP, standards and PSEA; AAP; cross-cutting issues.
    assert {n for n, item in items.items() if item.key} == {1, 3, 4}
    assert len(COMMITMENTS) == 11 and len(PRINCIPLES) == 5


def test_each_principle_has_its_explanation(db):
    for principle in FrameworkItem.objects.filter(version__number=1, kind="principle"):
        assert len(principle.text) > 100
    complementarity = FrameworkItem.objects.get(version__number=1, code="complementarity")
    assert "Language and cultural barriers must be overcome." in complementarity.text


def test_a_newer_version_leaves_past_answers_pointing_to_their_own_items(pakistan):
    first = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(first, [("M" * 11, "M" * 5)] * 3)
    answered = set(Answer.objects.filter(assessment__round=first).values_list("item", flat=True))

    newer = FrameworkVersion.objects.create(number=2, name="IASC reference module (2015)")
    old_items = FrameworkItem.objects.filter(version__number=1)
    for item in old_items:
        FrameworkItem.objects.create(
            version=newer,
            kind=item.kind,
            number=item.number,
            code=item.code,
            title=item.title,
            text=item.text + " (2015 wording)",
            key=item.key,
        )
    FrameworkItem.objects.create(
        version=newer,
        kind="commitment",
        number=12,
        code="new-commitment",
        title="A twelfth",
        text="A twelfth commitment.",
    )
    assert current_version() == newer
    assert set(Answer.objects.filter(assessment__round=first).values_list("item", flat=True)) == (
        answered
    )
    assert all(FrameworkItem.objects.get(pk=pk).version.number == 1 for pk in answered)
    # The trend follows each commitment by its code across versions.
    trend = cluster_trend(pakistan.cluster)
    assert trend.rows[0].scores == [100]
