"""The commitments app's models, one module per stage: the framework, rounds, the
self-assessment and the cluster's picture."""

from commitments.models.assessment import (
    POINTS,
    Answer,
    AssessmentStatus,
    Obstacle,
    ObstacleFaced,
    Rating,
    SelfAssessment,
)
from commitments.models.framework import (
    ASSESSED_KINDS,
    FrameworkItem,
    FrameworkVersion,
    ItemKind,
)
from commitments.models.picture import (
    MIN_RESPONSES,
    WEAK_BANDS,
    Band,
    ClusterAction,
    band_for,
    score_percent,
)
from commitments.models.rounds import Round, RoundEvent, RoundReminder, RoundStatus

__all__ = [
    "ASSESSED_KINDS",
    "MIN_RESPONSES",
    "POINTS",
    "WEAK_BANDS",
    "Answer",
    "AssessmentStatus",
    "Band",
    "ClusterAction",
    "FrameworkItem",
    "FrameworkVersion",
    "ItemKind",
    "Obstacle",
    "ObstacleFaced",
    "Rating",
    "Round",
    "RoundEvent",
    "RoundReminder",
    "RoundStatus",
    "SelfAssessment",
    "band_for",
    "score_percent",
]
