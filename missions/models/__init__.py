"""The missions app's models, one module per stage of the procedure."""

from missions.models.election import Ballot, Candidate, Election
from missions.models.followup import (
    ACTION_POINT,
    ActionPoint,
    ActionPointLog,
    CalendarToken,
    DigestSent,
    Evidence,
    ImprovementPlan,
    PlanComment,
    PointReminder,
    PointTally,
    ProgressUpdate,
)
from missions.models.intake import Attachment, Comment
from missions.models.lessons import Lesson
from missions.models.mission import (
    MISSION,
    TRANSITION_NAMES,
    Mission,
    MissionGroupObjectPermission,
    MissionUserObjectPermission,
    TransitionLog,
    TriageRequest,
)
from missions.models.notices import Notification, ReminderSent
from missions.models.preparation import ChecklistItem, IssueCoverage, LogisticsEntry
from missions.models.prioritisation import RankAdjustment, Score, ScoringCriterion
from missions.models.report import (
    MissionReport,
    ReportFinding,
    ReportRecipient,
    ReportVersion,
)
from missions.models.team import TEAM_CODENAMES, Grade, Invitation, Nomination
from missions.models.tor import TermsOfReference, ToRVersion

__all__ = [
    "ACTION_POINT",
    "ActionPoint",
    "ActionPointLog",
    "CalendarToken",
    "DigestSent",
    "Evidence",
    "ImprovementPlan",
    "PlanComment",
    "PointReminder",
    "PointTally",
    "ProgressUpdate",
    "MISSION",
    "TRANSITION_NAMES",
    "Attachment",
    "Ballot",
    "Candidate",
    "ChecklistItem",
    "Comment",
    "Election",
    "Grade",
    "Invitation",
    "IssueCoverage",
    "Lesson",
    "LogisticsEntry",
    "Mission",
    "MissionGroupObjectPermission",
    "MissionUserObjectPermission",
    "MissionReport",
    "Nomination",
    "ReportFinding",
    "ReportRecipient",
    "ReportVersion",
    "Notification",
    "RankAdjustment",
    "ReminderSent",
    "Score",
    "ScoringCriterion",
    "TEAM_CODENAMES",
    "TermsOfReference",
    "ToRVersion",
    "TransitionLog",
    "TriageRequest",
]
