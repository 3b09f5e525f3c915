"""The text rules of automatic moderation: pure functions, no database.

A rating's feedback is flagged for staff when it holds contact details (e-mail addresses, phone
numbers, links) or a blocklisted word. The rules lean towards flagging: a false positive costs a
moderator a click, a false negative publishes someone's phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REASON_EMAIL = "email"
REASON_PHONE = "phone"
REASON_LINK = "link"
BLOCKLIST_PREFIX = "blocklist:"

REASON_LABELS = {
    REASON_EMAIL: "contains an e-mail address",
    REASON_PHONE: "contains a phone number",
    REASON_LINK: "contains a link",
}

# Top-level domains recognised in bare domains ("example.com") and spelled-out addresses. Short
# English words ("in", "it", "me", "us", "so", ...) are left out on purpose: "did it.It was" is prose.
_TLDS = (
    "com|net|org|info|biz|io|co|app|dev|ai|ly|gg|tv|xyz|online|site|website|shop|store|link|page|blog|"
    "email|live|life|pro|club|tech|space|eu|uk|de|fr|es|nl|ru|ch|at|be|pl|se|no|dk|fi|cz|pt|ca|au|nz|br|"
    "mx|ar|jp|cn|kr|za|ua|gr|ro|hu|ie|tk|cc|ws|me"
)
# Spelled-out TLDs after " dot " must be real ones, but "at"/"be"/"no"/"me" as TLDs only count in
# a domain written with a literal dot, never after a spelled "dot" (too common as words).
_TLD_SAFE = "|".join(t for t in _TLDS.split("|") if t not in {"at", "be", "no", "me"})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)

_AT_WORD = r"(?:\s*[\(\[\{<]\s*at\s*[\)\]\}>]\s*|\s+at\s+|\s*@\s*)"
_DOT_WORD = r"(?:\s*[\(\[\{<]\s*dot\s*[\)\]\}>]\s*|\s+dot\s+|\s+\.\s+|\.)"
_OBFUSCATED_EMAIL = re.compile(
    rf"\b[\w+-]+(?:{_DOT_WORD}[\w+-]+)*{_AT_WORD}[\w-]+(?:{_DOT_WORD}[\w-]+)*{_DOT_WORD}(?:{_TLD_SAFE})\b",
    re.IGNORECASE,
)

_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_BARE_DOMAIN = re.compile(
    rf"\b[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?!\.\w)", re.IGNORECASE
)
# "a.m."/"e.g."-style abbreviations are not domains; the TLD list already excludes most of them.

# Dates look like phone numbers by digit count: take them out first, but only whole ones: the
# "06.12.34" of "06.12.34.56.78" is the start of a phone number, not a date.
_DATE = re.compile(r"(?<!\d[-./])(?<!\d)(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?![-./]?\d)")
# Seven or more digits with at most a few separators (space, dot, dash, slash, parentheses)
# between each, optionally starting with + or 00. Commas and letters break the run, so
# "5 stars, 10 out of 10" is two short runs.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b)\d(?:[ \t.\-/()]{0,3}\d){6,}")


def find_emails(text: str) -> bool:
    return bool(_EMAIL.search(text) or _OBFUSCATED_EMAIL.search(text))


def find_phones(text: str) -> bool:
    return bool(_PHONE.search(_DATE.sub(" ", text)))


def find_links(text: str) -> bool:
    # An e-mail address is reported as an e-mail, not also as a link to its domain.
    without_emails = _OBFUSCATED_EMAIL.sub(" ", _EMAIL.sub(" ", text))
    return bool(_URL.search(without_emails) or _BARE_DOMAIN.search(without_emails))


def find_blocklisted(text: str, words: Iterable[str]) -> list[str]:
    found = []
    for word in words:
        word = word.strip()
        if not word:
            continue
        # Word boundaries that also work for words starting or ending with punctuation.
        pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
        if re.search(pattern, text, re.IGNORECASE):
            found.append(word.lower())
    return sorted(set(found))


def flag_reasons(text: str, *, blocklist: Iterable[str] = ()) -> list[str]:
    """Why ``text`` needs a human: ``["email", "phone", "link", "blocklist:<word>", ...]``, or ``[]``."""
    reasons = []
    if find_emails(text):
        reasons.append(REASON_EMAIL)
    if find_phones(text):
        reasons.append(REASON_PHONE)
    if find_links(text):
        reasons.append(REASON_LINK)
    reasons.extend(f"{BLOCKLIST_PREFIX}{word}" for word in find_blocklisted(text, blocklist))
    return reasons


def describe_reason(reason: str) -> str:
    if reason.startswith(BLOCKLIST_PREFIX):
        return f'blocklisted word "{reason[len(BLOCKLIST_PREFIX) :]}"'
    return REASON_LABELS.get(reason, reason)


def _blank(pattern: re.Pattern, text: str) -> str:
    # Same length, so offsets in the result are offsets in ``text``.
    return pattern.sub(lambda m: " " * len(m.group()), text)


def match_spans(text: str, *, blocklist: Iterable[str] = ()) -> list[tuple[int, int, str]]:
    """Where the rules above match in ``text``: sorted, non-overlapping ``(start, end, reason)``,
    for showing a moderator what was found. The same expressions as :func:`flag_reasons`."""
    found: list[tuple[int, int, str]] = []
    for pattern in (_EMAIL, _OBFUSCATED_EMAIL):
        found += [(m.start(), m.end(), REASON_EMAIL) for m in pattern.finditer(text)]
    found += [(m.start(), m.end(), REASON_PHONE) for m in _PHONE.finditer(_blank(_DATE, text))]
    without_emails = _blank(_OBFUSCATED_EMAIL, _blank(_EMAIL, text))
    for pattern in (_URL, _BARE_DOMAIN):
        found += [(m.start(), m.end(), REASON_LINK) for m in pattern.finditer(without_emails)]
    for word in blocklist:
        word = word.strip()
        if word:
            pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
            found += [
                (m.start(), m.end(), f"{BLOCKLIST_PREFIX}{word.lower()}")
                for m in re.finditer(pattern, text, re.IGNORECASE)
            ]
    spans: list[tuple[int, int, str]] = []
    for start, end, reason in sorted(found, key=lambda s: (s[0], -s[1])):
        if spans and start < spans[-1][1]:  # overlaps the previous one: keep the wider reach
            last = spans[-1]
            spans[-1] = (last[0], max(last[1], end), last[2])
        else:
            spans.append((start, end, reason))
    return spans
