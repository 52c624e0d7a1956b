"""Every SpeakPro table, imported here so that `SQLModel.metadata` (and Alembic) sees them all."""

from speakpro.models.accounts import (
    AuthHandoff,
    AuthSession,
    Company,
    CompanyInvite,
    LoginThrottle,
    OAuthIdentity,
    Team,
    User,
    UserProfile,
)
from speakpro.models.amphitheatre import AmphitheatreExerciseRecord, AmphitheatreSession
from speakpro.models.analysis import AnalysisResult, CompanyDailyTotals, SessionAnalytics
from speakpro.models.base import metadata, table_of, utcnow
from speakpro.models.coaching import Assignment, AssignmentLearner, Scenario, ScenarioVersion
from speakpro.models.curriculum import KnowledgeBlock, Lesson, Level, Module
from speakpro.models.economy import RewardLedger
from speakpro.models.lessons import LessonSession, LessonSessionContext, LessonStepResponse, StakesMap
from speakpro.models.practice import (
    AudioRecording,
    ClientSecret,
    PracticeSession,
    Retake,
    SessionComment,
    SessionReview,
    Topic,
    Transcript,
    TranscriptSegment,
)
from speakpro.models.privacy import PrivacyConsent, StorageDeletion, Upload
from speakpro.models.progress import DailyQuest, ExerciseAttempt, ExerciseSubmission, MilestoneAttempt, UserProgress
from speakpro.models.security import EmailOutbox, UsedDownloadToken
from speakpro.models.telemetry import AnalyticsEvent, AuditLog, TelemetryEvent
from speakpro.models.world import District, UserVenueUnlock, Venue, VenueEntry, VenueTaskSheet

__all__ = [
    "AmphitheatreExerciseRecord",
    "AmphitheatreSession",
    "AnalysisResult",
    "AnalyticsEvent",
    "Assignment",
    "AssignmentLearner",
    "AudioRecording",
    "AuditLog",
    "AuthHandoff",
    "AuthSession",
    "ClientSecret",
    "Company",
    "CompanyInvite",
    "CompanyDailyTotals",
    "DailyQuest",
    "District",
    "EmailOutbox",
    "ExerciseAttempt",
    "ExerciseSubmission",
    "KnowledgeBlock",
    "Lesson",
    "LoginThrottle",
    "LessonSession",
    "LessonSessionContext",
    "LessonStepResponse",
    "Level",
    "MilestoneAttempt",
    "Module",
    "OAuthIdentity",
    "PracticeSession",
    "Retake",
    "SessionComment",
    "SessionReview",
    "PrivacyConsent",
    "RewardLedger",
    "Scenario",
    "ScenarioVersion",
    "SessionAnalytics",
    "StakesMap",
    "StorageDeletion",
    "TelemetryEvent",
    "Topic",
    "Transcript",
    "TranscriptSegment",
    "Upload",
    "UsedDownloadToken",
    "Team",
    "User",
    "UserProfile",
    "UserProgress",
    "UserVenueUnlock",
    "Venue",
    "VenueEntry",
    "VenueTaskSheet",
    "metadata",
    "table_of",
    "utcnow",
]
