"""JSON Patch (RFC 6902) and JSON Pointer (RFC 6901) on plain Python values.

What Signal K server does with an array posted to applicationData (it uses the npm
``json-patch`` package): apply the operations in order to a copy; any failing operation
leaves the document unchanged. Pure functions: no I/O.
"""

from __future__ import annotations

import copy

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
MAX_OPERATIONS = 1000


class PatchError(ValueError):
    """A patch that cannot be applied, with the operation's index and why."""


def pointer(text) -> list[str]:
    """``"/a/b~1c"`` → ``["a", "b/c"]``; ``""`` is the whole document."""
    if not isinstance(text, str):
        raise PatchError("a path is a JSON Pointer string")
    if text == "":
        return []
    if not text.startswith("/"):
        raise PatchError(f"path {text[:80]!r} must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


def _index(container: list, token: str, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise PatchError(f"{token[:40]!r} is not an array index")
    index = int(token)
    if index > len(container) or (not adding and index == len(container)):
        raise PatchError(f"array index {index} is out of range")
    return index


def _parent(doc, parts: list[str]):
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"no member {token[:40]!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise PatchError(f"cannot descend into a {type(node).__name__}")
    return node


def get(doc, parts: list[str]):
    node = doc
    for token in parts:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, adding=False)]
        else:
            raise PatchError(f"no value at /{'/'.join(parts)[:80]}")
    return node


def _add(doc, parts: list[str], value):
    if not parts:
        return value
    parent = _parent(doc, parts)
    token = parts[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, adding=True), value)
    else:
        raise PatchError(f"cannot add into a {type(parent).__name__}")
    return doc


def _remove(doc, parts: list[str]):
    if not parts:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, parts)
    token = parts[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise PatchError(f"no member {token[:40]!r} to remove")
        return parent.pop(token)
    if isinstance(parent, list):
        return parent.pop(_index(parent, token, adding=False))
    raise PatchError(f"cannot remove from a {type(parent).__name__}")


def apply(doc, operations):
    """``doc`` with the patch applied (a new value; ``doc`` itself is not changed)."""
    if not isinstance(operations, list):
        raise PatchError("a patch is an array of operations")
    if len(operations) > MAX_OPERATIONS:
        raise PatchError(f"at most {MAX_OPERATIONS} operations")
    doc = copy.deepcopy(doc)
    for number, op in enumerate(operations):
        try:
            if not isinstance(op, dict) or op.get("op") not in OPERATIONS:
                raise PatchError(f"op must be one of {', '.join(OPERATIONS)}")
            kind = op["op"]
            parts = pointer(op.get("path"))
            if kind in ("add", "replace", "test") and "value" not in op:
                raise PatchError(f"{kind} needs a value")
            if kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind == "remove":
                _remove(doc, parts)
            elif kind == "replace":
                get(doc, parts)  # must exist
                if parts:
                    _remove(doc, parts)
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind in ("move", "copy"):
                source = pointer(op.get("from"))
                if kind == "move" and parts[: len(source)] == source and parts != source:
                    raise PatchError("cannot move a value into itself")
                value = copy.deepcopy(get(doc, source))
                if kind == "move":
                    _remove(doc, source)
                doc = _add(doc, parts, value)
            elif get(doc, parts) != op["value"]:
                raise PatchError("test failed")
        except PatchError as exc:
            raise PatchError(f"operation {number}: {exc}") from None
    return doc
