"""Every route of SpeakPro in one place: constants for pages and API paths, builders for dynamic ones."""

LANDING = "/"
LOGIN = "/login"
SIGNUP = "/signup"
AUTH_COMPLETE = "/auth/complete"
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
