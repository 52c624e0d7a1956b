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
- **Fillers** (`count_fillers`, `filler_parts`), English only. Measured on the hand-labelled set of
  `tests/unit/filler_corpus.py` (its docstring says what counts as a filler; the README has the figures).
  Vocal fillers: um, uh, er, ah, hmm, also lengthened or spelt "uhm", "erm", "hm"; not hyphenated
  backchannels or exclamations ("uh-huh", "uh-oh", "mm-hmm", one token each), not a word in capitals before
  another word (an abbreviation: "the ER visit", "UM in Ann Arbor") and not after a number (a unit: "5 Ah").
  "basically": always.
  "you know" / "I mean": not after what, do, does, did, don't, doesn't, didn't, if, that, as, than, now,
  how, whether, nor in "just so you know" ("Do you know the price?", "as you know", "that's what I mean");
  otherwise a filler when set off by punctuation (a comma or sentence end after it, or a comma before it),
  or, unpunctuated as speech recognition writes it, when it opens a clause: at the start, after a
  conjunction or another filler, and followed by a subject and another word, or by a hedge ("so you know we
  tried", "i mean honestly it was cheap"; not "you know the answer", "I mean it").
  LIKE RULE (`_like_is_filler`): after a verb / preposition context word (I, you, we, they, I'd, would, do,
  don't, to, really, also, just, feel, look, sound, seem, something, more, much, not, ...) "like" is a verb
  or a comparison, except that after just / really / also it is a hedge before a number or a comma ("just
  like five dollars"). Otherwise it is a filler before a number or an approximation ("like ten minutes",
  "like a hundred", "like maybe") or a comma; never before a determiner (a comparison or a preposition:
  "it's like a CRM", "Like most teams") nor in "Like I / you / we said"; after a form of "be" or a comma it
  is a filler before a hedge or a subject (the quotative "I was like wow", "they were like we don't") or at
  the end; at the start or after a conjunction it is a filler ("so like we tried it"). Anything else ("a
  tool like Slack", "they were like family") is not. Known misses: a marker before a determiner that
  begins a clause ("and you know the thing is", "you know our competitors charge more").
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE = re.compile(r"([^.!?]*)([.!?]+|$)")
# Backchannels and exclamations written as one hyphenated word ("uh-huh", "uh-oh", "mm-hmm") are one token,
# so their parts are not read as hesitations.
_TOKEN = re.compile(
    r"(?i:\b(?:uh|um|mm|hm|m)-(?:huh|oh|hmm|hm|hum)\b)|[^\W_]+(?:['\u2019][^\W_]+)*|[,.!?;:\u2026\u2014]"
)
_SENTENCE_END = frozenset(".!?;:\u2026\u2014")
_VOCAL = (
    (re.compile(r"^u+h*m+$"), "um"),
    (re.compile(r"^u+h+$"), "uh"),
    (re.compile(r"^e+r+m*$"), "er"),
    (re.compile(r"^a+h+$"), "ah"),
    (re.compile(r"^h+m+$"), "hmm"),
)
_PHRASES = (("you", "know"), ("i", "mean"))
# "know" / "mean" keep their meaning after these: "do you know", "as you know", "more than you know",
# "now you know", "that's what I mean".
_PHRASE_NOT_AFTER = frozenset(
    {"what", "do", "does", "did", "don't", "doesn't", "didn't", "if", "that", "as", "than", "now", "how", "whether"}
)
# Where a discourse marker may open a clause without punctuation (speech recognition's output): the start
# of the utterance or sentence, after a conjunction or another filler.
_OPENERS = frozenset({"and", "so", "but", "because", "or", "then", "well", "like", "um", "uh", "er", "ah", "hmm"})
# What opens the clause that follows an unpunctuated marker: a subject, or a hedge.
_SUBJECTS = frozenset(
    {
        "i", "we", "they", "he", "she", "it", "you", "there", "it's", "i'm", "we're", "they're", "that's",
        "there's", "i've", "we've", "they've", "i'd", "we'd", "we'll", "i'll", "they'll", "he's", "she's",
        "nobody", "everyone", "everybody",
    }
)  # fmt: skip
_HEDGES = frozenset(
    {
        "honestly", "really", "super", "so", "totally", "always", "never", "very", "just", "kind", "sort",
        "maybe", "about", "around", "literally", "basically", "actually", "um", "uh", "why", "wow", "oh",
        "yeah", "yes", "sure", "whatever", "seriously",
    }
)  # fmt: skip
# After these, "like" is a verb or part of "feel / look / sound / seem like", "something like", "more like".
_LIKE_NOT_AFTER = frozenset(
    {
        "i", "you", "we", "they", "i'd", "you'd", "we'd", "they'd", "would", "d", "do", "don't", "does", "did",
        "didn't", "to", "really", "also", "just", "feel", "feels", "look", "looks", "sound", "sounds", "seem",
        "seems", "something", "more", "much", "not",
    }
)  # fmt: skip
# ... except that after these, "like" before a number or a comma is still a hedge ("just like five dollars").
_LIKE_HEDGE_AFTER = frozenset({"just", "really", "also"})
# "like" before these begins a comparison or a preposition ("like a CRM", "Like most teams").
_DETERMINERS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "our", "their", "its",
        "any", "every", "most", "many", "some", "all", "other", "what", "family",
    }
)  # fmt: skip
_LIKE_SET_PHRASE = frozenset({"said", "say", "mentioned", "discussed", "told", "explained"})  # "Like I said"
_NUMBER_WORDS = frozenset(
    {
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
        "thousand", "million", "half", "dozen", "couple", "few",
    }
)  # fmt: skip
_BE = frozenset({"was", "is", "it's", "i'm", "he's", "she's", "that's", "we're", "they're", "were", "am", "are", "be"})


def words_of(text: str) -> list[str]:
    """The lower-cased words of a text in any script (letters and digits; "don't" is one word, "check-in" two)."""
    return [w.lower().replace("\u2019", "'") for w in _WORD.findall(text)]


FINGERPRINT_MIN_WORDS = 12


def fingerprint_of(text: str) -> str | None:
    """The same answer whatever its case, punctuation or spacing (a SHA-256 of its words), or None for
    fewer than `FINGERPRINT_MIN_WORDS` words: short answers ("Yes, next Tuesday.") are said again fairly."""
    words = words_of(text or "")
    if len(words) < FINGERPRINT_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


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


def _is_number(token: str | None) -> bool:
    return token is not None and (token.isdigit() or token in _NUMBER_WORDS)


def _filler_hits(raw: list[str]) -> list[tuple[str, int, int]]:
    """(kind, first token index, last token index) of each filler among the tokens of `_TOKEN` as written, by
    the rules of the module docstring."""
    tokens = [t.lower().replace("\u2019", "'") for t in raw]
    hits: list[tuple[str, int, int]] = []

    def at(i: int) -> str | None:  # None before the start and after the end of the utterance
        return tokens[i] if 0 <= i < len(tokens) else None

    def opens(token: str | None) -> bool:  # a marker may open a clause after this
        return token is None or token in _SENTENCE_END or token in _OPENERS

    def clause_follows(i: int) -> bool:  # a subject and another word, or a hedge, start at i
        first, second = at(i), at(i + 1)
        if first in _HEDGES:
            return True
        return first in _SUBJECTS and second is not None and is_word(second)

    for i, token in enumerate(tokens):
        if not is_word(token):
            continue
        prev, nxt = at(i - 1), at(i + 1)
        vocal = _vocal_form(token)
        if vocal:
            written = raw[i]
            abbreviation = len(written) > 1 and written.isupper() and nxt is not None and is_word(nxt)
            if not abbreviation and not _is_number(prev):  # "the ER", "5 Ah" are not hesitations
                hits.append((vocal, i, i))
        elif token == "basically":
            hits.append(("basically", i, i))
        elif token == "like" and _like_is_filler(prev, nxt, at(i + 2), opens(prev)):
            hits.append(("like", i, i))
        for first, second in _PHRASES:
            if token != first or nxt != second or prev in _PHRASE_NOT_AFTER:
                continue
            if prev == "so" and at(i - 2) == "just":
                continue  # "just so you know": so that you know
            after = at(i + 2)
            punctuated = after is None or after == "," or after in _SENTENCE_END or prev == ","
            if punctuated or (opens(prev) and clause_follows(i + 2)):
                hits.append((f"{first} {second}", i, i + 1))
    return hits


def _like_is_filler(prev: str | None, nxt: str | None, after: str | None, opening: bool) -> bool:
    """Whether a "like" between `prev` and `nxt` (then `after`) is a filler (the LIKE RULE)."""
    hedged = _is_number(nxt) or nxt in ("maybe", "about", "around") or (nxt in ("a", "an") and _is_number(after))
    if prev in _LIKE_NOT_AFTER:
        return prev in _LIKE_HEDGE_AFTER and (hedged or nxt == ",")
    if hedged or nxt == ",":
        return True
    if nxt in _DETERMINERS or (nxt in ("i", "you", "we") and after in _LIKE_SET_PHRASE):
        return False  # a comparison, a preposition, "Like I said"
    if nxt is None or nxt in _SENTENCE_END:
        return prev in _BE or prev == ","
    if prev in _BE or prev == ",":
        return nxt in _HEDGES or nxt in _SUBJECTS
    return opening


def count_fillers(text: str) -> dict[str, int]:
    """The English fillers of one utterance by kind ("umm" counts as "um"), by the rules of the module
    docstring. A lesson, the milestone and a practice session count a learner's fillers with it alike."""
    found: dict[str, int] = {}
    for kind, _, _ in _filler_hits(_TOKEN.findall(text or "")):
        found[kind] = found.get(kind, 0) + 1
    return found


def filler_parts(text: str) -> list[dict[str, Any]]:
    """One utterance split into consecutive parts `{"text", "filler"}` that join back to `text` exactly.

    The filler parts are the fillers `count_fillers` counts (a phrase such as "you know" is one part,
    including the space between its words); everything else, punctuation included, is plain.
    """
    text = text or ""
    matches = list(_TOKEN.finditer(text))
    spans = sorted(
        (matches[first].start(), matches[last].end()) for _, first, last in _filler_hits([m.group(0) for m in matches])
    )
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
