from missions.models.intake import Attachment, Comment
from missions.models.mission import (
    LIFECYCLE,
    OPEN_STATES,
    TRANSITION_NAMES,
    Guard,
    Missing,
    Mission,
    MissionGroupObjectPermission,
    MissionUserObjectPermission,
    Status,
    TransitionLog,
    TriageRequest,
    lifecycle_steps,
    may,
)
from missions.models.notices import Notification, ReminderSent
from missions.models.prioritisation import RankAdjustment, Score, ScoringCriterion

__all__ = [
    "LIFECYCLE",
    "OPEN_STATES",
    "TRANSITION_NAMES",
    "Attachment",
    "Comment",
    "Guard",
    "Missing",
    "Mission",
    "MissionGroupObjectPermission",
    "MissionUserObjectPermission",
    "Notification",
    "RankAdjustment",
    "ReminderSent",
    "Score",
    "ScoringCriterion",
    "Status",
    "TransitionLog",
    "TriageRequest",
    "lifecycle_steps",
    "may",
]
