"""Form values shared by tests: hostile inputs every text field must survive, and a complete onboarding."""

from __future__ import annotations

HOSTILE = {
    "empty": "",
    "megabyte": "x" * (1024 * 1024),
    "unicode": "Zoë Ørsted 日本語 🎤",
    "bidi-override": "admin\u202egnp.exe",
    "script": "<script>alert('x')</script>",
    "sql": "'; DROP TABLE users; --",
}

ONBOARDING = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Handle objections calmly",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}
