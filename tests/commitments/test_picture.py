"""The cluster's picture: bands right at their edges, the threshold of three, the key
commitments, the obstacles, the trend over rounds, the cluster's actions, and the latest
picture of a country for its missions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from commitments.models import Band, FrameworkItem, ItemKind, Round, band_for, score_percent
from commitments.selectors.picture import (
    ItemFigure,
    across,
    cluster_trend,
    clusters_across_for,
    country_picture,
    country_picture_version,
    round_picture,
)
from commitments.selectors.rounds import for_display
from commitments.services.picture import action_record
from commitments.services.rounds import round_close
from commitments.templatetags.bands import band
from commitments.templatetags.figures import figure_rows, score_rows
from tests.commitments.factories import (
    fill,
    fill_round,
    items_of,
    make_cluster,
    open_round,
    partner_of,
    today,
)


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (0, Band.WEAK),
        (25, Band.WEAK),
        (26, Band.UNSATISFACTORY),
        (50, Band.UNSATISFACTORY),
        (51, Band.SATISFACTORY),
        (75, Band.SATISFACTORY),
        (76, Band.GOOD),
        (100, Band.GOOD),
    ],
)
def test_bands_at_their_edges(percent, band):
    assert band_for(percent) == band


@pytest.mark.parametrize(
    ("met", "partly", "not_met", "percent"),
    [
        (1, 0, 1, 50),  # exactly half
        (0, 1, 1, 25),  # a quarter: weak
        (1, 1, 1, 50),
        (3, 0, 1, 75),  # three quarters: satisfactory, not good
        (0, 0, 3, 0),
        (2, 1, 0, 83),
        (25, 1, 24, 51),  # 51/100: satisfactory
        (13, 0, 37, 26),  # 26/100: unsatisfactory
        (38, 0, 12, 76),  # 76/100: good
        (0, 101, 99, 25),  # 25.25 %: rounds to 25, weak
        (0, 101, 97, 26),  # 25.5 %: rounds half up to 26
    ],
)
def test_the_score_is_the_share_of_the_possible_score_rounded_half_up(
    met, partly, not_met, percent
):
    assert score_percent(met, partly, not_met) == percent


def picture_of(round_):
    """The round's picture, the round read as the pages read it (with its counts)."""
    return round_picture(for_display(Round.objects.filter(pk=round_.pk)).get())


def test_no_score_when_nobody_rated_it():
    assert score_percent(0, 0, 0) is None


@pytest.fixture
def round_(pakistan):
    return open_round(pakistan.cluster, pakistan.coordinator)


def test_below_three_answers_every_figure_is_hidden(round_):
    fill_round(round_, [("M" * 11, "M" * 5)] * 2, obstacles=["capacity"])
    picture = picture_of(round_)
    assert (picture.invited, picture.submitted, picture.shown) == (4, 2, False)
    assert picture.response_rate == 50
    assert all(f.met is None and f.score is None for f in picture.commitments + picture.principles)
    assert picture.obstacles == [] and picture.score is None


def test_drafts_do_not_count(round_):
    fill_round(round_, [("M" * 11, "M" * 5)] * 2)
    fill(round_.assessments.order_by("organisation__name")[2], submit=False)
    assert not picture_of(round_).shown


def test_from_three_answers_the_figures_show(round_):
    fill_round(
        round_,
        [
            ("MMMMMMMMMMN", "MMMMM"),
            ("MPMMMMMMMMN", "MMMMM"),
            ("MNMMMMMMMMP", "MMMMP"),
        ],
        obstacles=["access_language"],
    )
    picture = picture_of(round_)
    assert picture.shown and picture.submitted == 3
    first, second, eleventh = (
        picture.commitments[0],
        picture.commitments[1],
        picture.commitments[10],
    )
    assert (first.met, first.score, first.band) == (3, 100, Band.GOOD)
    assert (second.met, second.partly, second.not_met, second.score) == (1, 1, 1, 50)
    assert second.shares == (33, 33, 33)
    assert (eleventh.score, eleventh.band) == (17, Band.WEAK)
    assert [f.item.number for f in picture.weak] == [11, 2]
    assert [f.item.number for f in picture.key_commitments] == [1, 3, 4]
    assert [(o.code, o.organisations) for o in picture.obstacles] == [("access_language", 3)]


def test_an_item_fewer_than_three_rated_stays_hidden(round_):
    # Three answered, but two found commitment 2 not applicable: its one rating stays hidden.
    fill_round(
        round_, [("MMMMMMMMMMM", "MMMMM"), ("MXMMMMMMMMM", "MMMMM"), ("MXMMMMMMMMM", "MMMMM")]
    )
    picture = picture_of(round_)
    assert picture.commitments[0].shown and not picture.commitments[1].shown


def test_the_page_hides_the_figures_below_three(client, round_, pakistan):
    fill_round(round_, [("N" * 11, "N" * 5)] * 2)
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("commitments:round", args=[round_.pk]))
    assertContains(response, "The figures show once at least 3 organisations have submitted")
    assertNotContains(response, "<svg")
    assertNotContains(response, "badge band band-weak")
    assertContains(response, "Not shown yet", count=16)


def test_a_partner_sees_its_own_answers_beside_the_aggregate(client, round_, pakistan):
    fill_round(round_, [("N" * 11, "N" * 5), ("M" * 11, "M" * 5), ("M" * 11, "M" * 5)])
    client.force_login(pakistan.partner)
    response = client.get(reverse("commitments:round", args=[round_.pk]))
    assertContains(response, "Your answer")
    # its answers, beside the figures
    assertContains(response, '<td data-label="Your answer">Not met</td>', count=16)
    assertContains(response, "67 %")  # met, of the aggregate
    # A partner does not get the list of who answered, nor their pages.
    assertNotContains(response, "The organisations invited")
    other = round_.assessments.get(organisation=pakistan.organisations[1])
    assertNotContains(response, reverse("commitments:assessment", args=[other.pk]))


def test_the_coordinator_sees_who_answered_and_the_charts(client, round_, pakistan):
    fill_round(round_, [("M" * 11, "M" * 5)] * 3, obstacles=["capacity"])
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("commitments:round", args=[round_.pk]))
    assertContains(response, "The organisations invited")
    assertContains(response, 'id="commitment-scores"')
    assertContains(response, 'id="obstacles"')
    for assessment in round_.assessments.all():
        assertContains(response, reverse("commitments:assessment", args=[assessment.pk]))


def test_the_trend_follows_the_rounds_oldest_first(pakistan):
    first = open_round(
        pakistan.cluster, pakistan.coordinator, on=today() - datetime.timedelta(days=200)
    )
    fill_round(first, [("N" * 11, "N" * 5)] * 3)
    round_close(first, pakistan.coordinator)
    second = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(second, [("M" * 11, "P" * 5)] * 3)
    trend = cluster_trend(pakistan.cluster)
    assert [p.round for p in trend.pictures] == [first, second]
    assert [score for _round, score in trend.scores] == [0, 100]
    principles = [row for row in trend.rows if row.kind == "principle"]
    assert principles[0].scores == [0, 50]


def test_an_action_is_kept_with_the_round_and_shown_on_the_next(client, pakistan):
    first = open_round(
        pakistan.cluster, pakistan.coordinator, on=today() - datetime.timedelta(days=200)
    )
    fill_round(first, [("M" * 10 + "N", "M" * 5)] * 3)
    interpretation = next(i for i in items_of(first) if i.kind == "commitment" and i.number == 11)
    action_record(
        first,
        pakistan.coordinator,
        item=interpretation,
        text="Urdu interpretation at every meeting.",
        owner="Cluster coordinator",
        due_on=today() + datetime.timedelta(days=30),
    )
    round_close(first, pakistan.coordinator)
    second = open_round(pakistan.cluster, pakistan.coordinator)
    client.force_login(pakistan.coordinator)
    response = client.get(reverse("commitments:round", args=[second.pk]))
    assertContains(response, "Recorded with the previous round")
    assertContains(response, "Urdu interpretation at every meeting.")


def test_the_action_forms_commitments_are_the_pictures_read_once(client, pakistan, round_):
    """The select lists the round's commitments, in order, from the picture's items (not a
    query of its own), as the form's own queryset would; a posted item is still checked."""
    from commitments.forms.picture import ActionForm

    commitments = [figure.item for figure in picture_of(round_).commitments]
    with CaptureQueriesContext(connection) as queries:
        shared = str(ActionForm(round_=round_, commitments=commitments)["item"])
    assert len(queries) == 0
    assert shared == str(ActionForm(round_=round_)["item"])
    assert shared.count("<option") == len(commitments) + 1
    principle = next(i for i in items_of(round_) if i.kind == "principle")
    posted = ActionForm({"item": principle.pk}, round_=round_, commitments=commitments)
    assert not posted.is_valid() and "item" in posted.errors


def test_only_the_coordinator_records_an_action(pakistan, round_):
    with pytest.raises(PermissionDenied):
        action_record(
            round_,
            pakistan.partner,
            item=items_of(round_)[0],
            text="x",
            owner="y",
            due_on=today(),
        )


def test_an_action_needs_a_commitment_of_the_round_text_owner_and_due_date(pakistan, round_):
    principle = next(i for i in items_of(round_) if i.kind == "principle")
    with pytest.raises(ValidationError) as refused:
        action_record(round_, pakistan.coordinator, item=principle, text="", owner="", due_on=None)
    assert set(refused.value.error_dict) == {"item", "text", "owner", "due_on"}


def test_country_picture_gives_each_cluster_its_latest_round_with_three_answers(pakistan):
    old = open_round(
        pakistan.cluster, pakistan.coordinator, on=today() - datetime.timedelta(days=200)
    )
    fill_round(old, [("M" * 11, "M" * 5)] * 3)
    round_close(old, pakistan.coordinator)
    current = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(current, [("N" * 11, "N" * 5)] * 2)  # not enough yet: the older one shows
    wash, _orgs = make_cluster("PAK", "wash")
    from tests.commitments.factories import coordinator_of

    open_round(wash, coordinator_of(wash, "coord-wash"))  # no answers at all
    with CaptureQueriesContext(connection) as queries:
        pictures = country_picture(pakistan.cluster.country)
        names = [(p.cluster.country.name, p.cluster.global_cluster.code) for p in pictures]
    # The rounds with their clusters and counts, then the pictures' items, ratings, obstacles.
    assert len(queries) == 4
    assert names == [("Pakistan", "health"), ("Pakistan", "wash")]
    health, wash_picture = pictures
    assert health.picture.round == old and health.picture.score == 100 and health.rounds == 2
    assert wash_picture.picture is None and wash_picture.rounds == 1


def test_the_country_picture_version_moves_with_what_the_picture_is_made_of(pakistan, nepal):
    from commitments.services.assessment import assessment_save
    from tests.commitments.factories import inputs, submit_through_service

    country = pakistan.cluster.country
    before = country_picture_version(country)
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    opened = country_picture_version(country)
    assert opened != before
    own = round_.assessments.get(organisation=pakistan.organisations[0])
    # A draft is in no picture: the version stays.
    assessment_save(own, pakistan.partner, answers=inputs(round_), submit=False)
    assert country_picture_version(country) == opened
    submit_through_service(own, pakistan.partner)
    submitted = country_picture_version(country)
    assert submitted != opened
    # Another country's rounds are not this one's.
    open_round(nepal.cluster, nepal.coordinator)
    assert country_picture_version(country) == submitted


def _read(round_: Round) -> Round:
    return for_display(Round.objects.filter(pk=round_.pk)).get()


def test_a_rounds_picture_is_kept_until_an_organisation_submits(pakistan):
    from tests.commitments.factories import submit_through_service

    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(round_, [("M" * 11, "M" * 5)] * 3, obstacles=["access_location"])
    assert round_picture(_read(round_)).score == 100
    found = _read(round_)
    with CaptureQueriesContext(connection) as queries:
        kept = round_picture(found)
    assert len(queries) == 0
    assert (kept.score, kept.submitted, kept.round) == (100, 3, found)
    last = round_.assessments.get(status="draft")
    representative = partner_of(pakistan.cluster, last.organisation, "partner-last")
    submit_through_service(last, representative, letters=("N" * 11, "N" * 5))
    assert (round_picture(_read(round_)).score, _read(round_).submitted) == (75, 4)


def test_a_kept_picture_names_the_obstacles_in_the_language_of_the_page(pakistan):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(round_, [("M" * 11, "M" * 5)] * 3, obstacles=["access_location"])
    english = [o.label for o in round_picture(_read(round_)).obstacles]
    with translation.override("fr"):
        french = [o.label for o in round_picture(_read(round_)).obstacles]
    assert (english, french) == (["Access: location"], ["Accès : lieu"])


def test_a_picture_is_made_again_when_the_cache_cannot_be_reached(pakistan, settings, caplog):
    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(round_, [("M" * 11, "M" * 5)] * 3)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",  # nothing listens there
        }
    }
    assert round_picture(_read(round_)).score == 100
    assert "The cache cannot be reached" in caplog.text


def test_country_picture_of_a_country_without_rounds_is_empty(pakistan, nepal):
    assert country_picture(nepal.cluster.country) == []


def test_country_picture_renders_with_its_template(pakistan):
    from django.template.loader import render_to_string

    round_ = open_round(pakistan.cluster, pakistan.coordinator)
    fill_round(round_, [("M" * 11, "M" * 5)] * 3, obstacles=["access_location"])
    html = render_to_string(
        "commitments/_country_picture.html",
        {"pictures": country_picture(pakistan.cluster.country)},
    )
    assert "Interpretation in an appropriate language" in html
    assert "Access: location (3 organisations)" in html


def test_across_countries_a_focal_point_sees_its_cluster_everywhere(cast, pakistan, nepal):
    for side in (pakistan, nepal):
        round_ = open_round(side.cluster, side.coordinator)
        fill_round(round_, [("M" * 11, "M" * 5)] * 3)
    wash, _orgs = make_cluster("PAK", "wash")
    rows = across(clusters_across_for(cast["focal_health"]))
    assert [row.cluster.country.code for row in rows] == ["NPL", "PAK"]
    assert all(row.latest.score == 100 for row in rows)
    assert wash not in clusters_across_for(cast["focal_health"])
    assert wash in clusters_across_for(cast["hcss"])
    assert not clusters_across_for(pakistan.coordinator).exists()


def test_a_band_is_a_badge_in_the_readers_language_and_none_says_not_shown():
    assert band(Band.WEAK) == '<span class="badge band band-weak">Weak</span>'
    assert band(None) == '<span class="hint">not shown</span>'
    with translation.override("fr"):
        assert band(Band.GOOD) == (
            f'<span class="badge band band-good">{translation.gettext("Good")}</span>'
        )
        assert translation.gettext("Good") != "Good"


def test_a_pictures_rows_escape_what_was_typed_and_read_in_the_users_language():
    typed = FrameworkItem(
        kind=ItemKind.COMMITMENT, number=3, title='<script>"x"</script>', key=True
    )
    plain = FrameworkItem(kind=ItemKind.COMMITMENT, number=4, title="Coordination")
    shown = ItemFigure(item=typed, met=2, partly=1, not_met=1, not_applicable=1)
    hidden = ItemFigure(item=plain)
    rows = figure_rows([shown, hidden], "Commitment", with_own=[], picture_shown=True)
    assert "<script>" not in rows and "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in rows
    assert rows.startswith('<tr class="key"><td data-label="No.">3</td>')
    assert '<td class="number" data-label="Met">50 % <span class="hint">(2)</span></td>' in rows
    assert '<td class="number" data-label="Score">63 %</td>' in rows
    assert "Not shown: fewer than 3 organisations rated it." in rows
    assert "Your answer" not in rows
    assert score_rows([hidden]) == (
        '<tr><th scope="row" data-label="Commitment">4. Coordination</th>'
        '<td class="number" data-label="Score">—</td>'
        '<td data-label="Band"><span class="hint">not shown</span></td></tr>'
    )
    with translation.override("fr"):
        rows = figure_rows([hidden], "Engagement", with_own=[1], picture_shown=False)
        assert f'data-label="{translation.gettext("Your answer")}">—</td>' in rows
        assert translation.gettext("Not shown yet") in rows
        assert translation.gettext("Not shown yet") != "Not shown yet"
        assert f'data-label="{translation.gettext("Band")}"' in score_rows([shown])


@pytest.mark.parametrize(
    "who, not_asked",
    [("coordinator", "partner_representative"), ("partner", "cluster_coordinator")],
)
def test_the_round_page_asks_only_of_the_roles_the_user_holds(
    client, round_, pakistan, who, not_asked
):
    """A coordinator represents no organisation, and a partner coordinates no cluster: the
    page does not ask the database which ones."""
    client.force_login(getattr(pakistan, who))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("commitments:round", args=[round_.pk]))
    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if not_asked in q["sql"]]
