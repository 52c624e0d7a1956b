"""The one way SpeakPro calls a text model: one call, its failure classified, its usage and cost measured.

Every caller (the exercise feedback, the session coach, the chatbot) goes through `ask_model`. It touches no
database: callers read what the model needs first, commit, call the model outside any transaction or lock,
then write what came back (see `lessons.prepare_answer` / `lessons.record_answer`).

A failure never raises: the caller gets an `AiFailure` with a reason (`timeout`, `rate_limited`,
`server_error`, `unavailable`, `error`) and answers from its local rules, labelled with that reason. Only the
error's type and status are logged, never its message (it can echo the request or a masked key).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import openai
from openai.types.responses import ResponseTextConfigParam

log = logging.getLogger(__name__)

# USD per million tokens (input, output), by model name prefix; the longest matching prefix wins.
PRICES_PER_MILLION: dict[str, tuple[Decimal, Decimal]] = {
    "gpt-4.1-nano": (Decimal("0.10"), Decimal("0.40")),
    "gpt-4.1-mini": (Decimal("0.40"), Decimal("1.60")),
    "gpt-4.1": (Decimal("2.00"), Decimal("8.00")),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.60")),
    "gpt-4o": (Decimal("2.50"), Decimal("10.00")),
}


@dataclass(frozen=True)
class AiReply:
    """What the model answered, with what it cost (tokens None when the API did not say)."""

    text: str
    model: str
    response_id: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal
    price_known: bool
    seconds: float


@dataclass(frozen=True)
class AiFailure:
    """The call failed; `reason` says how (for the caller's label and the stored record)."""

    reason: str
    model: str
    seconds: float


def cost_of(model: str | None, input_tokens: int | None, output_tokens: int | None) -> tuple[Decimal, bool]:
    """(USD cost, price known) from token usage, 6 places."""
    prices = [p for p in PRICES_PER_MILLION if model and model.startswith(p)]
    if not prices:
        return Decimal("0"), False
    price_in, price_out = PRICES_PER_MILLION[max(prices, key=len)]
    cost = (Decimal(input_tokens or 0) * price_in + Decimal(output_tokens or 0) * price_out) / Decimal(1_000_000)
    return cost.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP), True


def failure_reason(error: openai.OpenAIError) -> str:
    """The failure class of an OpenAI error: what the learner's label says and what is stored."""
    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.RateLimitError):
        return "rate_limited"
    if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
        return "server_error"
    if isinstance(error, openai.APIConnectionError):
        return "unavailable"
    return "error"


def ask_model(
    client: openai.OpenAI,
    *,
    purpose: str,
    model: str,
    instructions: str,
    input: str,  # noqa: A002 - the Responses API's own name
    max_output_tokens: int,
    text_format: ResponseTextConfigParam | None = None,
) -> AiReply | AiFailure:
    """One Responses API call, never stored on OpenAI's side (`store=False`).

    Args:
        client: The `openai.OpenAI` client (pointed at a local fake in tests, via `OPENAI_BASE_URL`).
        purpose: What the call is for, in the logs ("feedback", "coach", "chatbot").
        model: The model.
        instructions: The system instructions (rules and grounding).
        input: The user content.
        max_output_tokens: The answer's ceiling.
        text_format: A JSON schema format for structured answers, or None for plain text.

    Returns:
        The reply (possibly empty text: the caller decides whether it is usable), or the failure.
    """
    started = time.monotonic()
    try:
        if text_format is None:
            response = client.responses.create(
                model=model,
                instructions=instructions,
                input=input,
                max_output_tokens=max_output_tokens,
                store=False,
            )
        else:
            response = client.responses.create(
                model=model,
                instructions=instructions,
                input=input,
                text=text_format,
                max_output_tokens=max_output_tokens,
                store=False,
            )
        text = response.output_text or ""
    except openai.OpenAIError as error:
        seconds = time.monotonic() - started
        log.warning(
            "%s: OpenAI call failed (%s, status %s) after %.1fs",
            purpose,
            type(error).__name__,
            getattr(error, "status_code", None),
            seconds,
        )
        return AiFailure(reason=failure_reason(error), model=model, seconds=seconds)
    usage = getattr(response, "usage", None)
    input_tokens = getattr(usage, "input_tokens", None) if usage else None
    output_tokens = getattr(usage, "output_tokens", None) if usage else None
    used_model = response.model or model
    cost, known = cost_of(used_model, input_tokens, output_tokens)
    return AiReply(
        text=text,
        model=used_model,
        response_id=getattr(response, "id", None),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        price_known=known,
        seconds=time.monotonic() - started,
    )
