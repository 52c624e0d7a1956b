"""Input checks shared by the forms: each failure names the field and says what to fix."""

from __future__ import annotations

import re
import unicodedata
import uuid
from functools import lru_cache
from pathlib import Path

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = re.compile(rf"^[^@\s<>\"'(),;:\\\[\]]+@{_LABEL}(?:\.{_LABEL})+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_EMAIL = 254


class ValidationError(ValueError):
    """Bad input; `field` names the form field, the message is shown to the user as is."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def id_or_none(value: object) -> uuid.UUID | None:
    """An id as a UUID (a UUID, or its text form with surrounding blanks), or None for anything else.

    The one id parser: every service that takes an id from a caller goes through it or `parse_id`.
    """
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def parse_id(value: object, *, field: str, message: str) -> uuid.UUID:
    """An id as a UUID, or a ValidationError on `field` with `message` (what the user is shown: for a
    protected object, the same words as "not found", so ids cannot be probed)."""
    parsed = id_or_none(value)
    if parsed is None:
        raise ValidationError(field, message)
    return parsed


def storable(value: str) -> bool:
    """Whether PostgreSQL can take this text as a value: no NUL (it cannot store one) and no lone surrogate
    (which cannot be encoded). Browsers can send both."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_email(raw: str | None) -> str:
    """A trimmed, lower-cased email address, or ValidationError."""
    value = (raw or "").strip().lower()
    if not value:
        raise ValidationError("email", "Enter your email address.")
    if len(value) > MAX_EMAIL:
        raise ValidationError("email", f"An email address has at most {MAX_EMAIL} characters.")
    if not EMAIL_PATTERN.match(value):
        raise ValidationError("email", "Enter a valid email address, like name@company.com.")
    return value


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def check_password(password: str | None, email: str = "") -> str:
    """The password if it is acceptable (8-256 characters, not a common one, not the email), else ValidationError."""
    value = password or ""
    if len(value) < PASSWORD_MIN:
        raise ValidationError("password", f"Use at least {PASSWORD_MIN} characters for your password.")
    if len(value) > PASSWORD_MAX:
        raise ValidationError("password", f"Use at most {PASSWORD_MAX} characters for your password.")
    lowered = value.lower()
    if lowered in _common_passwords() or len(set(value)) < 3:
        raise ValidationError("password", "That password is too common. Choose one that is harder to guess.")
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in lowered:
        raise ValidationError("password", "Your password must not contain your email address.")
    return value


def clean_text(
    field: str, raw: str | None, *, label: str, max_length: int, required: bool = True, min_length: int = 1
) -> str:
    """Trimmed single-line text without control characters, within the length limits."""
    value = unicodedata.normalize("NFC", (raw or "")).strip()
    # Control characters and bidirectional overrides (which can make a name display as something else).
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS for ch in value):
        raise ValidationError(field, f"{label} contains characters that are not allowed.")
    if not value:
        if required:
            raise ValidationError(field, f"Enter {label.lower()}.")
        return ""
    if len(value) < min_length:
        raise ValidationError(field, f"{label} needs at least {min_length} characters.")
    if len(value) > max_length:
        raise ValidationError(field, f"{label} has at most {max_length} characters.")
    return value


def clean_answer_text(field_name: str, raw: object, *, label: str, max_chars: int, min_chars: int = 1) -> str:
    """Multi-line text typed or transcribed by a learner, checked and normalised.

    Args:
        field_name: The form field named in the error.
        raw: The value received (anything: it comes from the browser).
        label: How the field is called in messages, e.g. "Your transcript".
        max_chars: The most characters allowed after trimming.
        min_chars: The fewest characters allowed after trimming.

    Returns:
        The NFC-normalised, trimmed text with `\\n` line ends.

    Raises:
        ValidationError: For a non-string, control characters, or a length outside the limits.
    """
    if not isinstance(raw, str):
        raise ValidationError(field_name, f"{label} must be text.")
    value = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in value):
        raise ValidationError(field_name, f"{label} contains characters that are not allowed.")
    if len(value) < min_chars:
        raise ValidationError(
            field_name, f"{label} is empty." if min_chars <= 1 else f"{label} needs at least {min_chars} characters."
        )
    if len(value) > max_chars:
        raise ValidationError(field_name, f"{label} has {len(value):,} characters; the limit is {max_chars:,}.")
    return value


def clean_choice(field: str, raw: str | None, *, label: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, else ValidationError."""
    value = (raw or "").strip()
    if value not in choices:
        raise ValidationError(field, f"Choose {label.lower()} from the list.")
    return value


def clean_int(field: str, raw: object, *, label: str, low: int, high: int) -> int:
    """A whole number in [low, high], else ValidationError."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError(field, f"{label} must be a number from {low} to {high}.") from None
    if not low <= value <= high:
        raise ValidationError(field, f"{label} must be a number from {low} to {high}.")
    return value
