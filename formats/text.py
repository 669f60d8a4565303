"""Text built from what users typed: made to fit where it goes, cleaned as it is stored, and
compared line by line between two versions (the ToR's, the report's)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when it was cut.

    For columns whose content is made from user text (a subject from a title, a name): the
    database refuses what is too long (PostgreSQL does; SQLite does not), and the person
    reading needs the beginning more than a refusal.
    """
    text = " ".join(text.split()) if "\n" in text else text
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def clipper(limit: int) -> Callable[[str], str]:
    """A function giving what `Truncator(text).chars(limit)` gives (the translated ellipsis
    included), for the many texts of a table: the ellipsis's length is looked up once, and
    an ASCII text (NFC already, nothing combining) is cut by slicing, where Truncator walks
    every character (20 µs a row of the points table). A text within the limit is given as
    it is. (The ellipsis is translated once: a lookup is 6 µs in English, which translates
    nothing and so asks every catalog.)"""
    # Django's ellipsis in the current language, as a pattern: the placeholder put in itself.
    marker = add_truncation_text("%(truncated_text)s")
    cut = calculate_truncate_chars_length(limit, marker)

    def clip(text: str) -> str:
        if len(text) <= limit:
            return text
        if text.isascii():
            return add_truncation_text(text[:cut], marker)
        return Truncator(text).chars(limit, truncate=marker)

    return clip


def without_nul(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL cannot store in a text column."""
    return text.replace("\x00", "")


def clean_text(value) -> str:
    """What a user typed into a text area, as it is stored: line ends as "\\n", no trailing
    spaces on a line, no blank lines around the text.

    Browsers send textarea lines as CRLF: without this, every save would look like a change.
    """
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


# Comparing two versions of a text ---------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison: kind is "same", "removed", "added" or "gap"."""

    kind: str
    text: str


@dataclass(frozen=True)
class SectionDiff:
    """One named part of a text (a section of the ToR or of a report) compared."""

    name: str
    label: str
    changed: bool
    lines: list[DiffLine]


def text_lines(text: str) -> list[str]:
    return text.splitlines() if text else []


def line_diff(before: list[str], after: list[str], context: int = 2) -> list[DiffLine]:
    """What changed from `before` to `after`, line by line.

    Unchanged lines around a change are kept for context (`context` of them); longer
    unchanged stretches become one "gap" line. Equal lists give no lines at all.
    """
    if before == after:
        return []
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index or group[0][1] > 0:
            lines.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", line) for line in before[i1:i2]]
                continue
            lines += [DiffLine("removed", line) for line in before[i1:i2]]
            lines += [DiffLine("added", line) for line in after[j1:j2]]
    return lines


def sections_diff(
    previous: object | None,
    version: object,
    sections: Iterable[tuple[str, str]],
    context: int = 2,
) -> list[SectionDiff]:
    """`version` against `previous` (None: everything is new), one SectionDiff per
    (attribute name, label) of `sections`, in their order."""
    diffs = []
    for name, label in sections:
        before = text_lines(getattr(previous, name)) if previous is not None else []
        after = text_lines(getattr(version, name))
        lines = line_diff(before, after, context)
        diffs.append(SectionDiff(name, label, bool(lines), lines))
    return diffs
