"""JSON from clients, parsed with bounds: the hub's messages and the REST bodies alike.

Python's ``json`` recurses once per level of nesting, so a 100,000-deep ``[[[…`` raises
``RecursionError`` (not ``ValueError``) and anything nested near the interpreter's limit
parses but cannot be written back (``json.dumps`` of a reply recurses deeper still). Every
document from a client is therefore held to ``MAX_DEPTH`` levels, checked without
recursion, and the failures are the hub's coded errors with the numbered text
(``bad_json``: 40201 not JSON, 40202 too deep).

Python also reads ``NaN`` and ``Infinity``, which are not JSON: ``strict=True`` refuses
them (a stored NaN breaks every browser's ``JSON.parse``). The hub parses its messages
leniently and leaves numbers to whoever uses them (the object manager refuses non-finite
numbers itself, for REST and hub alike).
"""

from __future__ import annotations

import json

from isomer_data.core.errors import ERRORS, DomainError

MAX_DEPTH = 64

# Brackets only, and one kind of them: "{" counts as "[" and "}" as "]".
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(c for c in range(128) if chr(c) not in "[]{}")


def coded(code: str, number: int, detail: str = "", details=None) -> DomainError:
    """A hub error whose message starts with its number from ``isomer_data.core.errors``."""
    message = f"{number}: {ERRORS[number].title}"
    if detail:
        message += f" ({detail})"
    return DomainError(code, message, details)


def deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects in ``text`` (valid JSON) nest deeper than ``limit``.

    No recursion and no Python loop over characters: drop escaped backslashes and quotes,
    keep what lies outside strings, keep its brackets, then strip innermost ``[]`` pairs
    once per level; what is left after ``limit`` rounds is deeper. Costs less than parsing
    (measured 0.02 ms against json.loads' 0.03 ms for a 3 KB delta with 150 brackets, 10 ms
    against 43 ms for 1 MB of small objects); at most ``limit`` brackets cost two counts.
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # fewer opening brackets than the limit cannot nest deeper
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    brackets = outside.encode("ascii", "ignore").translate(_BRACKETS, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse(raw: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, strict: bool = False):
    """``raw`` as Python values, or a ``bad_json`` :class:`DomainError` saying what is wrong.

    ``strict`` also refuses ``NaN``, ``Infinity`` and ``-Infinity``.
    """
    if isinstance(raw, bytes | bytearray):
        try:
            text = raw.decode(json.detect_encoding(raw), "surrogatepass")
        except (UnicodeDecodeError, LookupError) as exc:
            raise coded("bad_json", 40201, str(exc)) from None
    else:
        text = raw
    try:
        value = json.loads(text, parse_constant=_refuse_constant if strict else None)
    except RecursionError:
        raise coded("bad_json", 40202, f"more than {max_depth} levels") from None
    except ValueError as exc:
        raise coded("bad_json", 40201, str(exc)) from None
    if deeper_than(text, max_depth):
        raise coded("bad_json", 40202, f"more than {max_depth} levels")
    return value
