"""The spill: a bounded queue on disk that survives a restart and never blocks on a bad file."""

from __future__ import annotations

from isomer_data.ingest.observation import Observation, Sounding
from isomer_data.ingest.spill import Spill


def _obs(i: int) -> Observation:
    return Observation(1.7e9 + i, "self", "environment.depth.belowTransducer", float(i), "t")


def test_batches_come_back_in_order_and_the_bound_holds(tmp_path):
    spill = Spill(tmp_path / "spill", max_bytes=2000)
    sounding = Sounding(1.7e9, 1.0, 2.0, 3.0, None, None, None, "self", "t")
    assert spill.append([_obs(0), _obs(1)], [sounding])
    assert spill.append([_obs(2)])
    assert spill.has_room()
    while spill.append([_obs(3)] * 5):
        pass
    assert spill.used <= 2000  # the append that did not fit wrote nothing
    assert not spill.has_room()  # and from then on there is no room, until a batch leaves
    # a platform started again finds what waited, with its size
    again = Spill(tmp_path / "spill", max_bytes=2000)
    assert again.used == spill.used and again.waiting
    first = again.files()[0]
    observations, soundings = again.read(first)
    assert observations == [_obs(0), _obs(1)] and soundings == [sounding]
    again.remove(first)
    assert again.has_room()
    assert again.read(again.files()[0])[0] == [_obs(2)]
    assert (tmp_path / "spill").stat().st_mode & 0o777 == 0o700


def test_an_unreadable_file_is_set_aside(tmp_path):
    spill = Spill(tmp_path / "spill", max_bytes=10_000)
    spill.append([_obs(0)])
    path = spill.files()[0]
    path.write_text("not json\n")
    assert spill.read(path) is None
    assert spill.files() == [] and path.with_suffix(".bad").exists()
