"""Words, sentences, fillers and language: how SpeakPro reads a text, for the local rubric
(`services.analysis.rubric`), the speech metrics (`services.analysis.speech_metrics`), the coach and the
transcript (`services.practice.transcripts`) alike. Pure: no database, no network.

- **Words** (`words_of`): runs of Unicode letters and digits of any script, lower-cased; an apostrophe inside
  a word keeps it whole ("don't" is one word), a hyphen splits it ("check-in" is two).
- **Tokens** (`tokens_of`): the words plus the punctuation marks , . ! ? ; : … — that the filler rules read.
- **Sentences** (`count_sentences`): runs of text ending in . ! ? (or the end) that hold a word; a `?` makes
  a question.
- **Language** (`guess_language`): a rough code from common function words; "en" unless another language
  clearly leads.
- **Fillers** (`count_fillers`, `filler_parts`), English only:
  Vocal fillers: um, uh, er, ah, hmm, also lengthened ("ummm", "uhh", "errm", "aah", "hm", "hmmm").
  Lexical fillers: "basically" (always); "you know" and "I mean" when set off by punctuation (followed by
  a comma / sentence end / end of the utterance, or preceded by a comma) and not preceded by what, do,
  does, did, don't, doesn't, didn't, if, that ("Do you know the price?", "I mean it", "that's what I
  mean" are not fillers); "like" by the LIKE RULE below.
  LIKE RULE: "like" is NOT a filler after a verb/preposition context word (I, you, we, they, I'd, you'd,
  we'd, they'd, would, 'd, do, don't, does, did, didn't, to, really, also, just, feel(s), look(s), looks,
  sound(s), seem(s), something, more, much, not); otherwise it IS a filler when it is followed by a comma,
  preceded by a comma, starts a sentence / utterance, or follows a form of "be" (was, is, it's, i'm,
  he's, she's, that's, we're, they're, were, am, are, be) — the discourse "I was like..." / "it's
  like...". Any other "like" ("a tool like Slack") is not a filler. Known limits: "It's like a CRM"
  (comparison) counts; "Like most teams, ..." (preposition at sentence start) counts.
"""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE = re.compile(r"([^.!?]*)([.!?]+|$)")
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[,.!?;:\u2026\u2014]")
_SENTENCE_END = frozenset(".!?;:\u2026\u2014")
_VOCAL = (
    (re.compile(r"^u+m+$"), "um"),
    (re.compile(r"^u+h+$"), "uh"),
    (re.compile(r"^e+r+m*$"), "er"),
    (re.compile(r"^a+h+$"), "ah"),
    (re.compile(r"^h+m+$"), "hmm"),
)
_PHRASES = (("you", "know"), ("i", "mean"))
_PHRASE_NOT_AFTER = frozenset({"what", "do", "does", "did", "don't", "doesn't", "didn't", "if", "that"})
_LIKE_NOT_AFTER = frozenset(
    {
        "i",
        "you",
        "we",
        "they",
        "i'd",
        "you'd",
        "we'd",
        "they'd",
        "would",
        "d",
        "do",
        "don't",
        "does",
        "did",
        "didn't",
        "to",
        "really",
        "also",
        "just",
        "feel",
        "feels",
        "look",
        "looks",
        "sound",
        "sounds",
        "seem",
        "seems",
        "something",
        "more",
        "much",
        "not",
    }
)
_BE = frozenset({"was", "is", "it's", "i'm", "he's", "she's", "that's", "we're", "they're", "were", "am", "are", "be"})


def words_of(text: str) -> list[str]:
    """The lower-cased words of a text in any script (letters and digits; "don't" is one word, "check-in" two)."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


def count_sentences(text: str) -> tuple[int, int]:
    """(sentences, questions): runs of text ending in . ! ? (or the end) that hold a word; `?` makes a question."""
    sentences = questions = 0
    for match in _SENTENCE.finditer(text):
        if not _WORD.search(match.group(1)):
            continue
        sentences += 1
        if "?" in match.group(2):
            questions += 1
    return sentences, questions


def tokens_of(text: str) -> list[str]:
    """Lower-cased words (Unicode letters/digits, apostrophes kept) and the punctuation marks , . ! ? ; : … —."""
    return [t.lower().replace("\u2019", "'") for t in _TOKEN.findall(text or "")]


def is_word(token: str) -> bool:
    """Whether a token of `tokens_of` is a word (not a punctuation mark)."""
    return token not in _SENTENCE_END and token != ","


def _vocal_form(word: str) -> str | None:
    for pattern, form in _VOCAL:
        if pattern.match(word):
            return form
    return None


def _filler_hits(tokens: list[str]) -> list[tuple[str, int, int]]:
    """(kind, first token index, last token index) of each filler, by the rules of the module docstring."""
    hits: list[tuple[str, int, int]] = []

    def before(i: int) -> str | None:  # the token before i, None at the start of the utterance
        return tokens[i - 1] if i > 0 else None

    def after(i: int) -> str | None:
        return tokens[i + 1] if i + 1 < len(tokens) else None

    for i, token in enumerate(tokens):
        if not is_word(token):
            continue
        vocal = _vocal_form(token)
        if vocal:
            hits.append((vocal, i, i))
        elif token == "basically":
            hits.append(("basically", i, i))
        elif token == "like":
            prev, nxt = before(i), after(i)
            if prev in _LIKE_NOT_AFTER:
                continue
            if nxt == "," or prev == "," or prev is None or prev in _SENTENCE_END or prev in _BE:
                hits.append(("like", i, i))
        for first, second in _PHRASES:
            if token == first and after(i) == second:
                prev, nxt = before(i), after(i + 1)
                if prev in _PHRASE_NOT_AFTER:
                    continue
                if nxt is None or nxt == "," or nxt in _SENTENCE_END or prev == ",":
                    hits.append((f"{first} {second}", i, i + 1))
    return hits


def count_fillers(text: str) -> dict[str, int]:
    """The English fillers of one utterance by kind ("umm" counts as "um"), by the rules of the module
    docstring. A lesson, the milestone and a practice session count a learner's fillers with it alike."""
    found: dict[str, int] = {}
    for kind, _, _ in _filler_hits(tokens_of(text)):
        found[kind] = found.get(kind, 0) + 1
    return found


def filler_parts(text: str) -> list[dict[str, Any]]:
    """One utterance split into consecutive parts `{"text", "filler"}` that join back to `text` exactly.

    The filler parts are the fillers `count_fillers` counts (a phrase such as "you know" is one part,
    including the space between its words); everything else, punctuation included, is plain.
    """
    text = text or ""
    matches = list(_TOKEN.finditer(text))
    tokens = [m.group(0).lower().replace("\u2019", "'") for m in matches]
    spans = sorted((matches[first].start(), matches[last].end()) for _, first, last in _filler_hits(tokens))
    parts: list[dict[str, Any]] = []
    cursor = 0
    for start, end in spans:
        if start < cursor:  # overlapping hits cannot happen today; never emit text twice
            continue
        if start > cursor:
            parts.append({"text": text[cursor:start], "filler": False})
        parts.append({"text": text[start:end], "filler": True})
        cursor = end
    if cursor < len(text) or not parts:
        parts.append({"text": text[cursor:], "filler": False})
    return parts


_STOPWORDS = {
    "en": {"the", "and", "you", "that", "is", "to", "of", "it", "we", "for", "this", "with", "what", "have"},
    "es": {"el", "la", "que", "de", "los", "las", "y", "es", "por", "para", "con", "una", "pero", "muy"},
    "fr": {"le", "la", "les", "et", "est", "que", "des", "une", "pour", "pas", "vous", "nous", "avec", "dans"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "ich", "sie", "wir", "mit", "ein", "eine", "auch", "für"},
    "pt": {"o", "os", "que", "de", "não", "uma", "para", "com", "você", "mas", "muito", "isso", "está", "em"},
    "it": {"il", "che", "di", "non", "una", "per", "con", "sono", "della", "anche", "questo", "ma", "è", "gli"},
    "nl": {"de", "het", "een", "en", "niet", "ik", "je", "wij", "met", "voor", "maar", "ook", "dat", "zijn"},
}


def guess_language(words: list[str]) -> str:
    """A rough language code from common function words; "en" unless another language clearly leads."""
    lowered = [w.lower() for w in words]
    scores = {code: sum(1 for w in lowered if w in stop) for code, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda code: scores[code])
    # Several languages share short words ("de", "que"): demand a clear lead over English.
    if best != "en" and scores[best] >= 3 and scores[best] >= 2 * scores["en"]:
        return best
    return "en"
