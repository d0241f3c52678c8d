"""Bounded JSON parsing and the object manager's document checks, as pure functions."""

from __future__ import annotations

import json
import random

import pytest

from isomer_data.core.events import DomainError
from isomer_data.core.parsing import MAX_DEPTH, deeper_than, parse
from isomer_data.services.objects.manager import (
    MAX_OBJECT_BYTES,
    MAX_OBJECT_DEPTH,
    check_document,
)

TRICKY_STRINGS = ['"', "\\", '\\"', "[[[", "}}}", '"[{', "\\\\", "é[ü{", "\\u005b", "\x01"]


def depth_of(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def random_document(rng: random.Random, depth: int):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice([1, 2.5, None, True, *TRICKY_STRINGS])
    if rng.random() < 0.5:
        return [random_document(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(TRICKY_STRINGS) + str(i): random_document(rng, depth - 1) for i in range(3)}


def test_depth_check_agrees_with_a_recursive_count_on_tricky_strings():
    rng = random.Random(7)
    for _ in range(400):
        doc = random_document(rng, rng.randint(1, 12))
        true_depth = depth_of(doc)
        for text in (json.dumps(doc), json.dumps(doc, ensure_ascii=False, indent=1)):
            for limit in {max(true_depth - 1, 0), true_depth, true_depth + 1}:
                assert deeper_than(text, limit) == (true_depth > limit), (text, limit)


def test_parse_limits_depth_and_reports_numbered_bad_json():
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for raw in (
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        ("[" * 100_000).encode(),
    ):
        with pytest.raises(DomainError) as err:
            parse(raw)
        assert err.value.code == "bad_json"
        assert err.value.message.startswith("40202")
    # brackets inside strings do not count
    assert parse(json.dumps(["[" * 1000, "{" * 1000])) == ["[" * 1000, "{" * 1000]
    with pytest.raises(DomainError) as err:
        parse("{nope")
    assert err.value.message.startswith("40201")
    with pytest.raises(DomainError):
        parse(b"\xff\xfe\xff")


def test_strict_parse_refuses_nan_and_infinity():
    assert parse("[NaN]")[0] != parse("[NaN]")[0]  # lenient: a NaN
    for text in ("[NaN]", '{"a": Infinity}', "[-Infinity]"):
        with pytest.raises(DomainError) as err:
            parse(text, strict=True)
        assert err.value.code == "bad_json"
    assert parse(b'{"a": 1.5}', strict=True) == {"a": 1.5}


@pytest.mark.parametrize(
    ("doc", "number", "field"),
    [
        ({"a.b": 1}, 40210, "a.b"),
        ({"$set": {}}, 40210, "$set"),
        ({"a": [{"b": {"$gt": 1}}]}, 40210, "a[0].b.$gt"),
        ({"a\0b": 1}, 40210, "a\0b"),
        ({"x": float("nan")}, 40211, "x"),
        ({"x": [1, float("-inf")]}, 40211, "x[1]"),
        ({"x": 2**70}, 40214, "x"),
        ({"x": -(2**63) - 1}, 40214, "x"),
    ],
)
def test_documents_that_must_never_be_stored(doc, number, field):
    with pytest.raises(DomainError) as err:
        check_document(doc)
    assert err.value.message.startswith(str(number))
    assert err.value.details == {"field": field}


def test_documents_are_bounded_in_depth_and_size():
    check_document({"x": 2**63 - 1, "y": -(2**63), "z": 1e308, "s": "é" * 1000})
    nested: dict = {}
    for _ in range(MAX_OBJECT_DEPTH - 1):
        nested = {"x": nested}
    check_document(nested)
    with pytest.raises(DomainError) as err:
        check_document({"x": nested})
    assert err.value.message.startswith("40213")
    with pytest.raises(DomainError) as err:
        check_document({"s": ["x" * 1000] * (MAX_OBJECT_BYTES // 1000)})
    assert err.value.code == "too_large"
    assert err.value.message.startswith("40212")
    # multi-byte characters count as their UTF-8 size
    with pytest.raises(DomainError):
        check_document({"s": "€" * (MAX_OBJECT_BYTES // 2)})
