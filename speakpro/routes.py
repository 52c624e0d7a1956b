"""Every route of SpeakPro in one place: constants for pages and API paths, builders for dynamic ones."""

LANDING = "/"
LOGIN = "/login"
SIGNUP = "/signup"
PRIVACY = "/privacy"
ONBOARDING = "/onboarding"
HOME = "/home"
ACCOUNT = "/account"
ADMIN = "/admin"
COMPANY = "/company/[slug]"
JOIN = "/join/[code]"
MAP = "/map"
VENUE = "/venue/[venue_slug]"
LESSON = "/lesson/[lesson_ref]"
MILESTONE = "/milestone"
NOT_FOUND = "404"

API_HEALTH = "/api/health"
# The live page's transcript websocket: `{API_LIVE}/{session id}` (speakpro/live_socket.py).
API_LIVE = "/api/live"
# Recordings are POSTed here as the request body (speakpro/uploads.py), `?purpose=` one of `AUDIO_PURPOSES`,
# which names the upload in the log.
API_AUDIO = "/api/audio"
AUDIO_PURPOSES = ("milestone", "lesson", "practice", "venue", "amphitheatre")


def company(slug: str) -> str:
    """The manager page of one company."""
    return f"/company/{slug}"


def join(code: str) -> str:
    """The link that joins a company with a code."""
    return f"/join/{code}"


def oauth_login(provider: str) -> str:
    """The backend route that starts an OpenID / OAuth login."""
    return f"/auth/{provider}/login"


def venue(slug: str) -> str:
    """A venue's page."""
    return f"/venue/{slug}"


HISTORY = "/history"
PRACTICE_SESSION = "/practice/session/[session_ref]"
AMPHITHEATRE = "/amphitheatre"
AMPHITHEATRE_HISTORY = "/amphitheatre/history"


def history(page: int = 1) -> str:
    """One page of the practice history."""
    return HISTORY if page <= 1 else f"{HISTORY}?page={page}"


def practice_session(session_id: str) -> str:
    """One practice session of the history."""
    return f"/practice/session/{session_id}"


PRACTICE = "/practice"
PRACTICE_LIVE = "/practice/live/[session_ref]"


def practice_scenario(scenario_id: str) -> str:
    """The practice page with one of the company's scenarios picked out."""
    return f"{PRACTICE}?scenario={scenario_id}"


def lesson(lesson_id: str) -> str:
    """One lesson."""
    return f"/lesson/{lesson_id}"


def practice_live(session_id: str) -> str:
    """The live page of one practice session."""
    return f"/practice/live/{session_id}"


PROGRESS = "/progress"
COMPANY_DASHBOARD = "/company/[slug]/dashboard"
COMPANY_LEARNER = "/company/[slug]/learners/[learner_id]"
COMPANY_REVIEW = "/company/[slug]/review/[session_ref]"
COMPANY_SCENARIOS = "/company/[slug]/scenarios"
COMPANY_ASSIGNMENTS = "/company/[slug]/assignments"
ADMIN_OVERVIEW = "/admin/overview"
API_COMPANY_EXPORT = "/api/company/{slug}/export.csv"


def company_review(slug: str, session_id: str) -> str:
    """A manager's review of a session a learner shared with their company."""
    return f"/company/{slug}/review/{session_id}"


def company_learner(slug: str, user_id: str) -> str:
    """One learner's page on their company's dashboard."""
    return f"/company/{slug}/learners/{user_id}"


def company_scenarios(slug: str) -> str:
    """The company's own role-play scenarios, for its managers."""
    return f"/company/{slug}/scenarios"


def company_assignments(slug: str) -> str:
    """The assignments a company's managers set."""
    return f"/company/{slug}/assignments"


def company_dashboard(slug: str) -> str:
    """The dashboard of one company."""
    return f"/company/{slug}/dashboard"


def company_export(slug: str) -> str:
    """The backend path of one company's CSV export (add `?from=&to=&token=`)."""
    return f"/api/company/{slug}/export.csv"
