"""Depth/position pairing: nearest fix in time, never beyond the max gap."""

import pytest
from isomer_data.ingest.observation import Observation
from isomer_data.ingest.soundings import SoundingPairer

BT = "environment.depth.belowTransducer"


def fix(t, lat=50.0, lon=-1.0):
    return Observation(
        t, "self", "navigation.position", {"latitude": lat, "longitude": lon}, "gps.GP"
    )


def depth(t, value=10.0, path=BT):
    return Observation(t, "self", path, value, "snd.SD")


def other(t):
    return Observation(t, "self", "environment.wind.speedApparent", 5.0, "w.WI")


def pair(observations, **kwargs):
    return list(SoundingPairer(**kwargs).feed_many(observations))


def test_depth_takes_the_nearest_fix_even_when_it_comes_later():
    out = pair([fix(0.0, lat=1.0), depth(0.8), fix(1.0, lat=2.0)])
    assert [(s.time, s.latitude) for s in out] == [(0.8, 2.0)]


def test_depth_takes_the_earlier_fix_when_it_is_nearer():
    out = pair([fix(0.0, lat=1.0), depth(0.2), fix(1.0, lat=2.0)])
    assert [s.latitude for s in out] == [1.0]


def test_depth_beyond_max_gap_is_dropped_and_counted():
    pairer = SoundingPairer(max_gap=3.0)
    out = list(pairer.feed_many([fix(0.0), depth(10.0), other(14.0), fix(20.0)]))
    assert out == [] and pairer.dropped == {"no_fix_within_gap": 1}


def test_max_gap_is_configurable():
    assert len(pair([fix(0.0), depth(5.0), other(20.0)], max_gap=6.0)) == 1
    assert pair([fix(0.0), depth(5.0), other(20.0)], max_gap=4.0) == []


def test_depth_waits_until_a_later_fix_or_the_gap_passes():
    pairer = SoundingPairer(max_gap=3.0)
    assert pairer.feed(fix(0.0)) == []
    assert pairer.feed(depth(2.0)) == []
    assert pairer.feed(other(2.5)) == []  # closes the ping; still waiting for a nearer fix
    (sounding,) = pairer.feed(other(5.5))  # 2.0 + 3.0 has passed: settle with the fix at 0.0
    assert sounding.time == 2.0


def test_dbt_and_dpt_of_one_ping_merge_and_keep_the_offset():
    out = pair(
        [
            fix(1.0),
            depth(1.0, 7.5),
            depth(1.0, 7.5),
            depth(1.0, 0.5, "environment.depth.surfaceToTransducer"),
            depth(1.0, 8.0, "environment.depth.belowSurface"),
            other(1.0),
        ]
    )
    assert len(out) == 1
    (s,) = out
    assert (s.depth_below_transducer, s.depth_below_surface, s.transducer_offset) == (7.5, 8.0, 0.5)
    assert s.depth_below_keel is None


def test_keel_offset_is_negative():
    (s,) = pair(
        [
            fix(1.0),
            depth(1.0, 7.5),
            depth(1.0, 1.2, "environment.depth.transducerToKeel"),
            depth(1.0, 6.3, "environment.depth.belowKeel"),
        ]
    )
    assert s.transducer_offset == -1.2 and s.depth_below_keel == 6.3


def test_other_vessels_are_ignored():
    target = Observation(
        0.0, "urn:mrn:imo:mmsi:1", "navigation.position", {"latitude": 1, "longitude": 2}, "ais"
    )
    assert pair([target, depth(0.0)]) == []


def test_pending_buffer_is_bounded():
    pairer = SoundingPairer(max_pending=3, max_gap=100.0)
    pairer.feed(fix(0.0))
    out = []
    for t in range(1, 10):
        out += pairer.feed(depth(float(t)))
        out += pairer.feed(other(float(t)))
    assert len(pairer.pending) <= 3 and len(out) >= 5


@pytest.mark.parametrize("gap", [0.0, 0.5])
def test_each_ping_gives_one_sounding(gap):
    stream = []
    for t in range(5):
        stream += [fix(float(t)), depth(t + gap), other(t + gap)]
    assert [s.time for s in pair(stream)] == [t + gap for t in range(5)]
