"""The chart tile cache holds at most its bytes, dropping the least recently used first."""

from __future__ import annotations

from isomer_data.services.charts.manager import Tile, TileCache


def tile(size: int) -> Tile:
    return Tile(b"x" * size, "image/png", None, '"e"')


def test_cache_is_bounded_in_bytes_and_drops_the_least_recently_used():
    cache = TileCache(max_bytes=1000)
    for i in range(3):
        cache.put(("chart", "v1", 1, i, 0), tile(200))  # 264 bytes each with overhead
    assert cache.get(("chart", "v1", 1, 0, 0))[0]  # used: now the most recent
    cache.put(("chart", "v1", 1, 3, 0), tile(200))  # over 1000: the oldest unused goes
    assert cache.bytes <= 1000
    assert not cache.get(("chart", "v1", 1, 1, 0))[0]
    assert cache.get(("chart", "v1", 1, 0, 0))[0] and cache.get(("chart", "v1", 1, 3, 0))[0]
    cache.put(("chart", "v1", 2, 0, 0), tile(5000))  # larger than the whole cache: not kept
    assert not cache.get(("chart", "v1", 2, 0, 0))[0] and cache.bytes <= 1000
    # "nothing here" is remembered too, at a small cost
    cache.put(("chart", "v1", 9, 0, 0), None)
    assert cache.get(("chart", "v1", 9, 0, 0)) == (True, None)


def test_a_cache_of_zero_bytes_keeps_nothing():
    cache = TileCache(max_bytes=0)
    cache.put(("c", "v", 0, 0, 0), tile(1))
    assert cache.get(("c", "v", 0, 0, 0)) == (False, None) and cache.bytes == 0
