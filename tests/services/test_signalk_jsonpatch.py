"""JSON Patch (RFC 6902) as applicationData applies it: the RFC's examples, all or nothing."""

from __future__ import annotations

import pytest

from isomer_data.services.signalk.appdata import get_at, segments, set_at
from isomer_data.services.signalk.jsonpatch import PatchError, apply


@pytest.mark.parametrize(
    ("doc", "patch", "expected"),
    [
        (
            {"foo": "bar"},
            [{"op": "add", "path": "/baz", "value": "qux"}],
            {"foo": "bar", "baz": "qux"},
        ),
        (
            {"foo": ["bar", "baz"]},
            [{"op": "add", "path": "/foo/1", "value": "qux"}],
            {"foo": ["bar", "qux", "baz"]},
        ),
        ({"foo": [1]}, [{"op": "add", "path": "/foo/-", "value": 2}], {"foo": [1, 2]}),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
        ({"baz": "qux"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo"}),
        (
            {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
            {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        ),
        (
            {"a": {"b": 1}},
            [{"op": "copy", "from": "/a", "path": "/c"}],
            {"a": {"b": 1}, "c": {"b": 1}},
        ),
        (
            {"a/b": 1, "m~n": 2},
            [{"op": "test", "path": "/a~1b", "value": 1}, {"op": "remove", "path": "/m~0n"}],
            {"a/b": 1},
        ),
        ({}, [{"op": "replace", "path": "", "value": [1]}], [1]),
    ],
)
def test_rfc_6902_operations(doc, patch, expected):
    assert apply(doc, patch) == expected


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "add", "path": "/ok", "value": 1}, {"op": "remove", "path": "/missing"}],
        [{"op": "test", "path": "/x", "value": 2}],
        [{"op": "add", "path": "/a/b/c", "value": 1}],
        [{"op": "add", "path": "no-slash", "value": 1}],
        [{"op": "move", "from": "/x", "path": "/x/y"}],
        [{"op": "jump", "path": "/x"}],
        [{"op": "add", "path": "/list/07", "value": 1}],
        "not a list",
    ],
)
def test_a_failing_patch_changes_nothing(patch):
    doc = {"x": {"y": 1}, "list": [0]}
    with pytest.raises(PatchError):
        apply(doc, patch)
    assert doc == {"x": {"y": 1}, "list": [0]}


def test_paths_below_the_version_are_lodash_paths():
    assert segments("map/layers.0") == ["map", "layers", "0"]
    doc = set_at({}, ["map", "layers", "1"], "b")
    assert doc == {"map": {"layers": [None, "b"]}}
    assert get_at(doc, ["map", "layers", "1"]) == "b" and get_at(doc, ["nope", "x"]) is None
