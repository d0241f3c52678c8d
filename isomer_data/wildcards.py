"""Signal K path wildcards, matched without regular expressions.

``*`` matches any run of characters, dots included (``navigation.*`` matches
``navigation.position`` and ``navigation.courseOverGroundTrue``; ``vessels.*`` any vessel).
The hub, the Signal K stream, unsubscribe and the data API all match through
:class:`Wildcard`, so a pattern means the same everywhere.

Why not a regular expression: ``*`` translated to ``.*`` backtracks; ``*********Z``
against a long path took 12 s in Python's engine and minutes in the database's. Here a
pattern is split at its stars into literal pieces: the first must start the text, the
last must end it, the ones between are found left to right with ``str.find``. Taking the
leftmost occurrence of each piece is always right for patterns made only of ``*`` and
literals, so nothing is ever tried twice: the cost is bounded by text length × pieces.
Patterns are bounded too (length, ``.``-segments, stars) so a client cannot make that
product large.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LENGTH = 256
MAX_SEGMENTS = 32
MAX_STARS = 16


class WildcardError(ValueError):
    """A pattern that is too long, too deep or not a string; the message says which limit."""


class Wildcard:
    """One compiled pattern: ``Wildcard("navigation.*").matches("navigation.position")``."""

    __slots__ = ("pattern", "pieces", "exact")

    def __init__(self, pattern: str):
        if not isinstance(pattern, str):
            raise WildcardError("a path pattern is a string")
        if len(pattern) > MAX_LENGTH:
            raise WildcardError(f"a path pattern has at most {MAX_LENGTH} characters")
        if pattern.count(".") + 1 > MAX_SEGMENTS:
            raise WildcardError(f"a path pattern has at most {MAX_SEGMENTS} '.'-separated segments")
        pieces = pattern.split("*")
        # Runs of stars are one star: empty pieces between them add nothing.
        pieces = (
            [pieces[0], *(p for p in pieces[1:-1] if p), pieces[-1]] if len(pieces) > 1 else pieces
        )
        if len(pieces) - 1 > MAX_STARS:
            raise WildcardError(f"a path pattern has at most {MAX_STARS} separate '*' wildcards")
        self.pattern = pattern
        self.pieces = tuple(pieces)
        self.exact = len(pieces) == 1

    def __repr__(self) -> str:
        return f"Wildcard({self.pattern!r})"

    @property
    def prefix(self) -> str:
        """The literal text every match starts with (for an index-friendly database query)."""
        return self.pieces[0]

    def matches(self, text: str) -> bool:
        pieces = self.pieces
        if self.exact:
            return text == pieces[0]
        first, last = pieces[0], pieces[-1]
        if len(text) < len(first) + len(last):
            return False
        if not text.startswith(first) or not text.endswith(last):
            return False
        position, end = len(first), len(text) - len(last)
        for piece in pieces[1:-1]:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    def filter(self, texts: Iterable[str]) -> list[str]:
        return [t for t in texts if self.matches(t)]


def compile_patterns(patterns: str | Iterable[str]) -> list[Wildcard]:
    """One or several patterns, each checked against the limits."""
    if isinstance(patterns, str):
        patterns = [patterns]
    return [Wildcard(p) for p in patterns]
