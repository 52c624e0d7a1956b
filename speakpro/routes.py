"""Every route of SpeakPro in one place: constants for pages and API paths, builders for dynamic ones."""

LANDING = "/"
LOGIN = "/login"
SIGNUP = "/signup"
HOME = "/home"
NOT_FOUND = "404"

API_HEALTH = "/api/health"
