"""Wiring only: the Reflex app, its pages and its HTTP routes."""

import reflex as rx

from speakpro import routes
from speakpro.api import build_api
from speakpro.errors import backend_exception_handler, configure_logging
from speakpro.jobs import in_process_worker
from speakpro.pages.account import account, join
from speakpro.pages.admin import admin
from speakpro.pages.amphitheatre import amphitheatre_history_page, amphitheatre_page
from speakpro.pages.assignments import assignments_page
from speakpro.pages.company import company
from speakpro.pages.company_learner import company_learner_page
from speakpro.pages.dashboard import admin_overview, company_dashboard
from speakpro.pages.history import history_page, session_page
from speakpro.pages.home import home
from speakpro.pages.landing import landing
from speakpro.pages.lesson import lesson
from speakpro.pages.login import login, signup
from speakpro.pages.milestone import milestone
from speakpro.pages.not_found import not_found
from speakpro.pages.onboarding import onboarding
from speakpro.pages.practice_live import practice_live_page, practice_page
from speakpro.pages.privacy import privacy_page
from speakpro.pages.progress import progress_page
from speakpro.pages.review import review_page
from speakpro.pages.scenarios import scenarios_page
from speakpro.pages.world import map_page, venue_page
from speakpro.state.account import AccountState, JoinState
from speakpro.state.admin import AdminState
from speakpro.state.amphitheatre import AmphitheatreHistoryState, AmphitheatreState
from speakpro.state.assignments import AssignmentsState
from speakpro.state.auth import AuthState
from speakpro.state.company import CompanyState
from speakpro.state.company_learner import CompanyLearnerState
from speakpro.state.dashboard import AdminOverviewState, DashboardState
from speakpro.state.edge import EventShapeMiddleware
from speakpro.state.history import HistoryState, SessionDetailState
from speakpro.state.home import HomeState
from speakpro.state.landing import LandingState
from speakpro.state.lesson import LessonState
from speakpro.state.login import LoginState, SignupState
from speakpro.state.milestone import MilestoneState
from speakpro.state.onboarding import OnboardingState
from speakpro.state.practice_live import PracticeLiveState, PracticeState
from speakpro.state.progress import ProgressState
from speakpro.state.retakes import RetakeState
from speakpro.state.review import ReviewState, SessionShareState
from speakpro.state.scenarios import ScenariosState
from speakpro.state.world import MapState, VenueState

configure_logging()
app = rx.App(
    api_transformer=build_api(),
    backend_exception_handler=backend_exception_handler,
    stylesheets=["/contrast.css"],
)
app.register_lifespan_task(in_process_worker)
# Payloads Reflex itself cannot unpack are refused before any handler (the handlers check their own: edge.py).
app.add_middleware(EventShapeMiddleware())

app.add_page(
    landing,
    route=routes.LANDING,
    title="SpeakPro: practise speaking out loud",
    description="Guided lessons, live AI role-play and clear feedback on how you speak.",
    on_load=[LandingState.load, AuthState.check_session],
)
app.add_page(login, route=routes.LOGIN, title="Log in · SpeakPro", on_load=LoginState.load)
app.add_page(signup, route=routes.SIGNUP, title="Sign up · SpeakPro", on_load=SignupState.load)
app.add_page(privacy_page, route=routes.PRIVACY, title="Privacy notice · SpeakPro", on_load=AuthState.check_session)
app.add_page(onboarding, route=routes.ONBOARDING, title="Welcome · SpeakPro", on_load=OnboardingState.load)
app.add_page(home, route=routes.HOME, title="Home · SpeakPro", on_load=HomeState.load)
app.add_page(account, route=routes.ACCOUNT, title="Account · SpeakPro", on_load=AccountState.load)
app.add_page(join, route=routes.JOIN, title="Join a company · SpeakPro", on_load=JoinState.load)
app.add_page(admin, route=routes.ADMIN, title="Admin · SpeakPro", on_load=AdminState.load)
app.add_page(company, route=routes.COMPANY, title="Company · SpeakPro", on_load=CompanyState.load)
app.add_page(lesson, route=routes.LESSON, title="Lesson · SpeakPro", on_load=LessonState.load)
app.add_page(milestone, route=routes.MILESTONE, title="Milestone · SpeakPro", on_load=MilestoneState.load)
app.add_page(map_page, route=routes.MAP, title="The city · SpeakPro", on_load=MapState.load)
app.add_page(venue_page, route=routes.VENUE, title="Venue · SpeakPro", on_load=VenueState.load)
app.add_page(history_page, route=routes.HISTORY, title="Practice history · SpeakPro", on_load=HistoryState.load)
app.add_page(
    session_page,
    route=routes.PRACTICE_SESSION,
    title="Practice session · SpeakPro",
    on_load=[SessionDetailState.load, RetakeState.load, SessionShareState.load],
)
app.add_page(review_page, route=routes.COMPANY_REVIEW, title="Shared session · SpeakPro", on_load=ReviewState.load)
app.add_page(
    amphitheatre_page, route=routes.AMPHITHEATRE, title="Amphitheatre · SpeakPro", on_load=AmphitheatreState.load
)
app.add_page(
    amphitheatre_history_page,
    route=routes.AMPHITHEATRE_HISTORY,
    title="Amphitheatre visits · SpeakPro",
    on_load=AmphitheatreHistoryState.load,
)
app.add_page(practice_page, route=routes.PRACTICE, title="Live practice · SpeakPro", on_load=PracticeState.load)
app.add_page(
    practice_live_page, route=routes.PRACTICE_LIVE, title="Practising · SpeakPro", on_load=PracticeLiveState.load
)
app.add_page(progress_page, route=routes.PROGRESS, title="Your progress · SpeakPro", on_load=ProgressState.load)
app.add_page(
    company_dashboard, route=routes.COMPANY_DASHBOARD, title="Company dashboard · SpeakPro", on_load=DashboardState.load
)
app.add_page(
    company_learner_page,
    route=routes.COMPANY_LEARNER,
    title="Learner · SpeakPro",
    on_load=CompanyLearnerState.load,
)
app.add_page(scenarios_page, route=routes.COMPANY_SCENARIOS, title="Scenarios · SpeakPro", on_load=ScenariosState.load)
app.add_page(
    assignments_page, route=routes.COMPANY_ASSIGNMENTS, title="Assignments · SpeakPro", on_load=AssignmentsState.load
)
app.add_page(
    admin_overview, route=routes.ADMIN_OVERVIEW, title="All companies · SpeakPro", on_load=AdminOverviewState.load
)
app.add_page(not_found, route=routes.NOT_FOUND, title="Page not found · SpeakPro")
