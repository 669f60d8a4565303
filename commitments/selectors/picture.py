"""The cluster's picture: per round the response rate, per commitment and principle the
shares met / partly / not met with a status band, the most common obstacles, and how it all
moves over rounds; across countries for the focal points and HCSS; and the latest picture of
a country's clusters for the missions to it (`country_picture`).

Aggregates only, never one organisation's answers, and only where at least MIN_RESPONSES
organisations answered: below it the numbers never leave this module (the figures carry
None). Each function reads a fixed number of queries, however many partners and rounds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clusters.cache import keep, kept_many
from clusters.models import Country, CountryCluster, Role
from clusters.selectors import assigned, user_roles
from commitments.models import (
    ASSESSED_KINDS,
    MIN_RESPONSES,
    WEAK_BANDS,
    Answer,
    AssessmentStatus,
    Band,
    ClusterAction,
    FrameworkItem,
    ItemKind,
    Obstacle,
    ObstacleFaced,
    Rating,
    Round,
    SelfAssessment,
    band_for,
    score_percent,
)
from commitments.selectors.rounds import _active, for_display, sees_every_cluster


def share(part: int, whole: int) -> int:
    """`part` of `whole` as a whole per cent, rounded half up."""
    return (200 * part + whole) // (2 * whole) if whole else 0


@dataclass
class ItemFigure:
    """One commitment or principle in one round. The counts are None when hidden: fewer
    than MIN_RESPONSES organisations rated it (or answered the round at all)."""

    item: FrameworkItem
    met: int | None = None
    partly: int | None = None
    not_met: int | None = None
    not_applicable: int | None = None
    # A partner's own answers, set where its page shows them beside the aggregate.
    own: list[Answer] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.met is not None

    @property
    def rated(self) -> int | None:
        return self.met + self.partly + self.not_met if self.shown else None

    @property
    def score(self) -> int | None:
        return score_percent(self.met, self.partly, self.not_met) if self.shown else None

    @property
    def band(self) -> Band | None:
        score = self.score
        return None if score is None else band_for(score)

    @property
    def is_weak(self) -> bool:
        return self.band in WEAK_BANDS

    @property
    def shares(self) -> tuple[int, int, int] | None:
        """Met, partly met and not met, as per cents of those who rated it."""
        if not self.shown:
            return None
        return (
            share(self.met, self.rated),
            share(self.partly, self.rated),
            share(self.not_met, self.rated),
        )


@dataclass(frozen=True)
class ObstacleCount:
    code: str
    label: str
    organisations: int


@dataclass
class RoundPicture:
    """The aggregate of one round. `shown` is False below MIN_RESPONSES submissions: then
    every figure is hidden and `obstacles` is empty."""

    round: Round
    invited: int
    submitted: int
    commitments: list[ItemFigure] = field(default_factory=list)
    principles: list[ItemFigure] = field(default_factory=list)
    obstacles: list[ObstacleCount] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.submitted >= MIN_RESPONSES

    @property
    def response_rate(self) -> int | None:
        return share(self.submitted, self.invited) if self.invited else None

    @property
    def score(self) -> int | None:
        """Over every commitment rated: the cluster's share of the possible score."""
        shown = [figure for figure in self.commitments if figure.shown]
        if not self.shown or not shown:
            return None
        return score_percent(
            sum(f.met for f in shown), sum(f.partly for f in shown), sum(f.not_met for f in shown)
        )

    @property
    def band(self) -> Band | None:
        score = self.score
        return None if score is None else band_for(score)

    @property
    def weak(self) -> list[ItemFigure]:
        """The commitments weak or unsatisfactory, key ones first."""
        weak = [figure for figure in self.commitments if figure.is_weak]
        return sorted(weak, key=lambda f: (not f.item.key, f.score, f.item.number))

    @property
    def key_commitments(self) -> list[ItemFigure]:
        return [figure for figure in self.commitments if figure.item.key]


# A round's figures change only when an organisation is invited to it or submits (final: a
# submitted assessment's answers never change): each round's are kept under its counts, for
# a day at most. The round itself (its state, its dates) is always the one read.
PICTURE_SECONDS = 24 * 3600


def _picture_key(round_: Round) -> str:
    # The round's opening moment too: an id may come again in a database made anew.
    return (
        f"round-picture:{round_.pk}:{round_.opened_at.isoformat()}:{round_.invited}:"
        f"{round_.submitted}:{get_language()}"
    )


def round_pictures(rounds: Sequence[Round]) -> dict[int, RoundPicture]:
    """The picture of each of `rounds` (from `for_display`, which counts their answers), by
    round pk: those kept in the cache, and the others in three queries however many."""
    rounds = list(rounds)
    keys = {r.pk: _picture_key(r) for r in rounds}
    found = kept_many(keys.values())
    pictures = {
        r.pk: RoundPicture(r, r.invited, r.submitted, *found[keys[r.pk]])
        for r in rounds
        if keys[r.pk] in found
    }
    made = _round_pictures([r for r in rounds if r.pk not in pictures])
    keep(
        {keys[pk]: (p.commitments, p.principles, p.obstacles) for pk, p in made.items()},
        PICTURE_SECONDS,
    )
    return pictures | made


def _round_pictures(rounds: list[Round]) -> dict[int, RoundPicture]:
    if not rounds:
        return {}
    ids = [r.pk for r in rounds]
    items: dict[int, list[FrameworkItem]] = defaultdict(list)
    for item in FrameworkItem.objects.filter(
        version__in={r.framework_id for r in rounds}, kind__in=ASSESSED_KINDS
    ).order_by("kind", "number"):
        items[item.version_id].append(item)
    submitted_only = {
        "assessment__round__in": ids,
        "assessment__status": AssessmentStatus.SUBMITTED,
    }
    ratings: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for row in (
        Answer.objects.filter(**submitted_only)
        .exclude(rating="")
        .values("assessment__round", "item", "rating")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        ratings[(row["assessment__round"], row["item"])][row["rating"]] = row["n"]
    obstacles: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        ObstacleFaced.objects.filter(**submitted_only)
        .values("assessment__round", "obstacle")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        obstacles[row["assessment__round"]][row["obstacle"]] = row["n"]

    pictures = {}
    for r in rounds:
        picture = RoundPicture(round=r, invited=r.invited, submitted=r.submitted)
        for item in items[r.framework_id]:
            figure = ItemFigure(item=item)
            given = ratings[(r.pk, item.pk)]
            rated = sum(
                given.get(rating, 0) for rating in (Rating.MET, Rating.PARTLY, Rating.NOT_MET)
            )
            if picture.shown and rated >= MIN_RESPONSES:
                figure.met = given.get(Rating.MET, 0)
                figure.partly = given.get(Rating.PARTLY, 0)
                figure.not_met = given.get(Rating.NOT_MET, 0)
                figure.not_applicable = given.get(Rating.NOT_APPLICABLE, 0)
            target = picture.commitments if item.kind == ItemKind.COMMITMENT else picture.principles
            target.append(figure)
        if picture.shown:
            labels = dict(Obstacle.choices)
            picture.obstacles = sorted(
                (
                    ObstacleCount(code, str(labels.get(code, code)), n)
                    for code, n in obstacles[r.pk].items()
                ),
                key=lambda o: (-o.organisations, o.label),
            )
        pictures[r.pk] = picture
    return pictures


def round_picture(round_: Round) -> RoundPicture:
    """The picture of one round, read through `for_display` (as `get_round_for` does)."""
    return round_pictures([round_])[round_.pk]


def own_ratings(assessments: Iterable[SelfAssessment]) -> dict[int, list[Answer]]:
    """The answers of the organisations a partner represents, by item pk, to show beside the
    aggregate (one query)."""
    by_item: dict[int, list[Answer]] = defaultdict(list)
    for answer in Answer.objects.filter(assessment__in=list(assessments)).order_by(
        "assessment__organisation__name"
    ):
        by_item[answer.item_id].append(answer)
    return by_item


def previous_round(round_: Round) -> Round | None:
    """The cluster's round before this one (by the end of its period)."""
    end = round_.period_end
    return (
        Round.objects.filter(country_cluster_id=round_.country_cluster_id)
        .filter(Q(period_end__lt=end) | Q(period_end=end, pk__lt=round_.pk))
        .order_by("-period_end", "-pk")
        .first()
    )


def round_actions(rounds: Iterable[Round | None]) -> dict[int, list[ClusterAction]]:
    """The cluster's actions recorded with each round, by round pk (one query)."""
    ids = [r.pk for r in rounds if r is not None]
    found: dict[int, list[ClusterAction]] = {pk: [] for pk in ids}
    for action in ClusterAction.objects.filter(round__in=ids).select_related("item", "created_by"):
        found[action.round_id].append(action)
    return found


# Over time ------------------------------------------------------------------------------------


@dataclass
class TrendRow:
    """One commitment (or principle) across rounds, followed by its code across versions."""

    code: str
    title: str
    key: bool
    kind: str
    scores: list[int | None]


@dataclass
class Trend:
    pictures: list[RoundPicture]  # oldest first
    rows: list[TrendRow]

    @property
    def scores(self) -> list[tuple[Round, int | None]]:
        return [(p.round, p.score) for p in self.pictures]

    @property
    def table(self) -> list[tuple[TrendRow, list[tuple[Round, int | None]]]]:
        """Each row with every score beside its round, so a cell can name its column."""
        rounds = [p.round for p in self.pictures]
        return [(row, list(zip(rounds, row.scores, strict=True))) for row in self.rows]


def trend_of(pictures: list[RoundPicture]) -> Trend:
    """The rows of a trend from pictures ordered oldest first; titles are the newest's."""
    order: dict[str, FrameworkItem] = {}
    for picture in reversed(pictures):
        for figure in (*picture.commitments, *picture.principles):
            order.setdefault(figure.item.code, figure.item)
    by_round = [{f.item.code: f.score for f in (*p.commitments, *p.principles)} for p in pictures]
    rows = [
        TrendRow(
            code=code,
            title=item.title,
            key=item.key,
            kind=item.kind,
            scores=[scores.get(code) for scores in by_round],
        )
        for code, item in sorted(order.items(), key=lambda pair: (pair[1].kind, pair[1].number))
    ]
    return Trend(pictures=pictures, rows=rows)


def cluster_trend(cluster: CountryCluster) -> Trend:
    """A cluster's rounds, oldest first, and each commitment's score in each (four queries)."""
    rounds = list(
        for_display(Round.objects.filter(country_cluster=cluster)).order_by("period_end", "pk")
    )
    pictures = round_pictures(rounds)
    return trend_of([pictures[r.pk] for r in rounds])


# Across countries ----------------------------------------------------------------------------


def clusters_across_for(user) -> QuerySet[CountryCluster]:
    """The country clusters a user looks across: every one for HCSS, those of their global
    clusters for a focal point; nobody else has this view."""
    if not _active(user):
        return CountryCluster.objects.none()
    if sees_every_cluster(user):
        return CountryCluster.objects.all()
    return CountryCluster.objects.filter(
        global_cluster__in=assigned(user, Role.CLUSTER_FOCAL_POINT, "global_cluster_id")
    )


def looks_across(user) -> bool:
    return sees_every_cluster(user) or (
        _active(user) and Role.CLUSTER_FOCAL_POINT in user_roles(user)
    )


@dataclass
class ClusterTrend:
    cluster: CountryCluster
    trend: Trend

    @property
    def latest(self) -> RoundPicture | None:
        """The newest round with enough answers to show."""
        shown = [p for p in self.trend.pictures if p.shown]
        return shown[-1] if shown else None


def across(clusters: QuerySet[CountryCluster]) -> list[ClusterTrend]:
    """Each of `clusters` that has had a round, with its rounds over time (five queries)."""
    clusters = {
        c.pk: c
        for c in clusters.select_related("country", "global_cluster").order_by(
            "global_cluster__name", "country__name"
        )
    }
    rounds = list(
        for_display(Round.objects.filter(country_cluster__in=list(clusters))).order_by(
            "period_end", "pk"
        )
    )
    pictures = round_pictures(rounds)
    by_cluster: dict[int, list[RoundPicture]] = defaultdict(list)
    for r in rounds:
        by_cluster[r.country_cluster_id].append(pictures[r.pk])
    return [
        ClusterTrend(cluster=cluster, trend=trend_of(by_cluster[pk]))
        for pk, cluster in clusters.items()
        if by_cluster[pk]
    ]


# For the missions to a country ---------------------------------------------------------------


@dataclass(frozen=True)
class ClusterPicture:
    """One cluster of a country: its latest round with enough answers to show (`picture`,
    None when no round has had MIN_RESPONSES submissions yet) and how many rounds it had."""

    cluster: CountryCluster
    picture: RoundPicture | None
    rounds: int


def country_picture(country: Country | int) -> list[ClusterPicture]:
    """The latest picture of each of a country's clusters that has held a round, for the page
    and the report of a mission to the country. Aggregates only, with the threshold of three
    applied; anyone who may see the mission may see this. Ordered by the cluster's name; four
    queries, however many clusters, rounds and partners.

    Each ClusterPicture has `cluster` (with `global_cluster` and `country` loaded), `rounds`
    and `picture`, a RoundPicture or None: `picture.round` (its `period_label`, `closes_on`,
    `status`), `picture.invited`, `.submitted`, `.response_rate` (per cent), `.score` and
    `.band` (over every commitment), `.commitments` and `.principles` (ItemFigure: `item` with
    `number`, `title`, `key`; `score`, `band`, `shares` as met / partly / not met per cents, or
    None where hidden), `.key_commitments`, `.weak` and `.obstacles` (ObstacleCount: `label`,
    `organisations`). The template `commitments/_country_picture.html` shows it.
    """
    rounds = list(
        for_display(Round.objects.filter(country_cluster__country=country)).order_by(
            "country_cluster__global_cluster__name", "country_cluster", "-period_end", "-pk"
        )
    )
    latest: dict[int, Round] = {}
    count: dict[int, int] = defaultdict(int)
    clusters: dict[int, CountryCluster] = {}
    for r in rounds:
        count[r.country_cluster_id] += 1
        clusters[r.country_cluster_id] = r.country_cluster  # loaded with the round
        if r.submitted >= MIN_RESPONSES and r.country_cluster_id not in latest:
            latest[r.country_cluster_id] = r
    pictures = round_pictures(list(latest.values()))
    return [
        ClusterPicture(
            cluster=cluster,
            picture=pictures[latest[cluster.pk].pk] if cluster.pk in latest else None,
            rounds=count[cluster.pk],
        )
        for cluster in clusters.values()  # in the rounds' order: by the cluster's name
    ]


def country_picture_version(country: Country | int) -> str:
    """What `country_picture` is made of, summed up in one query, for the pages that keep the
    picture cached: it changes when a round opens, when an organisation is invited to one,
    and when an assessment is submitted (final: a submitted assessment's answers and
    obstacles never change, and the picture reads no other). The clusters' names, which
    only the admin changes, are left to the cache's expiry."""
    found = Round.objects.filter(country_cluster__country=country).aggregate(
        rounds=Count("pk", distinct=True),
        newest=Max("pk"),
        opened=Max("opened_at"),
        invited=Count("assessments"),
        submitted=Count("assessments", filter=Q(assessments__status=AssessmentStatus.SUBMITTED)),
        last_submitted=Max("assessments__submitted_at"),
    )
    return "-".join(
        value.isoformat() if hasattr(value, "isoformat") else str(value) for value in found.values()
    )


# Exports --------------------------------------------------------------------------------------


def export_table(picture: RoundPicture) -> tuple[list[str], list[list]]:
    """The round's aggregate as one table (header, rows) for CSV and XLSX: the response,
    each commitment and principle, the obstacles. Hidden figures stay empty, with the reason
    in the band's column."""
    header = [
        _("Section"),
        _("Number"),
        _("Item"),
        _("Key commitment"),
        _("Organisations"),
        _("Met"),
        _("Partly met"),
        _("Not met"),
        _("Not applicable"),
        _("Met %"),
        _("Partly met %"),
        _("Not met %"),
        _("Score %"),
        _("Band"),
    ]
    blank = [None] * 8
    r = picture.round
    rows: list[list] = [
        [_("Round"), None, str(r), None, None, *blank, r.get_status_display()],
        [_("Response"), None, _("Organisations invited"), None, picture.invited, *blank, None],
        [_("Response"), None, _("Organisations that submitted"), None, picture.submitted]
        + blank
        + [None],
    ]
    hidden_round = _("Not shown: fewer than %(n)s organisations answered.") % {"n": MIN_RESPONSES}
    hidden_item = _("Not shown: fewer than %(n)s organisations rated it.") % {"n": MIN_RESPONSES}
    rows.append(
        [
            _("Overall"),
            None,
            _("Every commitment"),
            None,
            None,
            *[None] * 7,
            picture.score,
            picture.band.label if picture.band else (hidden_round if not picture.shown else None),
        ]
    )
    for section, figures in (
        (_("Commitment"), picture.commitments),
        (_("Principle"), picture.principles),
    ):
        for f in figures:
            key = (
                (_("yes") if f.item.key else _("no"))
                if f.item.kind == ItemKind.COMMITMENT
                else None
            )
            if f.shown:
                met, partly, not_met = f.shares
                numbers = [
                    f.rated,
                    f.met,
                    f.partly,
                    f.not_met,
                    f.not_applicable,
                    met,
                    partly,
                    not_met,
                ]
                rows.append(
                    [section, f.item.number, f.item.title, key, *numbers, f.score, f.band.label]
                )
            else:
                reason = hidden_round if not picture.shown else hidden_item
                rows.append([section, f.item.number, f.item.title, key, *[None] * 9, reason])
    for obstacle in picture.obstacles:
        rows.append(
            [_("Obstacle"), None, obstacle.label, None, obstacle.organisations] + [None] * 9
        )
    if not picture.shown:
        rows.append([_("Obstacle"), None, None, None, *[None] * 9, hidden_round])
    return header, rows
