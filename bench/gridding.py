"""Gridding throughput for crowdsourced bathymetry, against plain ``numpy.bincount`` binning.

Why: fleets send billions of soundings, and the depth map is rebuilt from them; gridding
must stay close to the cost of the simplest possible binning, and in bounded memory.

What, on 10⁷ random soundings (``--quick``: 10⁶) over a 1000 × 1000-cell grid, depths
2–80 m plus noise, generated with a fixed numpy seed:

* (a) our per-cell mean (``GridSpec.cells`` + ``bincount_mean``) in points/s against a
  bare numpy baseline doing the same work: cell index from lon/lat (floor, bounds mask),
  count + weighted sum with ``numpy.bincount``, divide. Goal ≥ 0.8×.
* (b) our exact per-cell median (``cell_median``, one sort of packed keys) against the
  same baseline. Goal ≥ 0.3×.
* (c) full ``cell_statistics`` (median, mean, std, count, uncertainty); no goal.
* (d) 10⁸ soundings (``--quick``: 2·10⁶) gridded in chunks of 5·10⁶ generated on the fly.
  ``DepthGrid`` keeps every sounding for exact medians (21 bytes each) and re-sorts all
  soundings of the touched cells on each ``add``, so it is not a bounded-memory path; this
  measures the chunked mean + count + std path (bincount accumulation across chunks) and
  the baseline's chunked mean + count.
* (f) the same 10⁸ soundings with exact medians in bounded memory: ``ExternalGridder``
  spills packed (cell, mm) keys to one file per band of rows, then grids band by band
  (outliers rejected, median, mean, std, count, uncertainty); against the chunked
  bincount mean of the same chunks. Peak memory and disk used are in the notes.
* (e) ``DepthGrid.add`` on a few chunks, to show how an incremental add scales when new
  soundings touch every cell (each add re-grids everything stored so far).

Timings are best of 3, project and baseline interleaved. Peak memory is the
``tracemalloc`` peak of a separate, untimed run (numpy reports its buffers to
tracemalloc), above what was allocated before the call (the input points).
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import numpy as np
import pandas as pd

from bench.results import Result
from isomer_data.bathymetry.dataset import DepthGrid
from isomer_data.bathymetry.external import ExternalGridder
from isomer_data.bathymetry.grid import GridSpec, bincount_mean, cell_median, cell_statistics

SPEC = GridSpec(west=-5.0, south=50.0, east=-4.0, north=51.0, resolution=0.001)
MiB = 1 << 20
CHUNK = 5_000_000


def points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n soundings uniformly over SPEC; depth a smooth 2–80 m seabed plus 0.3 m noise."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(SPEC.west, SPEC.east, n)
    lat = rng.uniform(SPEC.south, SPEC.north, n)
    x = (lon - SPEC.west) / (SPEC.east - SPEC.west)
    y = (lat - SPEC.south) / (SPEC.north - SPEC.south)
    seabed = 2.0 + 78.0 * (0.5 + 0.25 * np.sin(6.0 * x) * np.cos(4.0 * y) + 0.25 * x * y)
    depth = np.clip(seabed + rng.normal(0.0, 0.3, n), 0.5, None)
    return lon, lat, depth


# -- the two sides ------------------------------------------------------------------------
def baseline_mean(lon, lat, depth, spec: GridSpec = SPEC):
    """Plain numpy: cell index from lon/lat, then count + weighted sum + divide."""
    nx, ny, res = spec.nx, spec.ny, spec.resolution
    ix = np.floor((lon - spec.west) / res).astype(np.int64)
    iy = np.floor((lat - spec.south) / res).astype(np.int64)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    cells = (iy * nx + ix)[inside]
    count = np.bincount(cells, minlength=nx * ny)
    total = np.bincount(cells, weights=depth[inside], minlength=nx * ny)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count, count


def _cells(lon, lat, depth, spec: GridSpec = SPEC):
    cells = spec.cells(lon, lat)
    inside = cells >= 0
    return cells[inside], depth[inside]


def ours_mean(lon, lat, depth):
    cells, d = _cells(lon, lat, depth)
    return bincount_mean(cells, d, SPEC.size)


def ours_median(lon, lat, depth):
    cells, d = _cells(lon, lat, depth)
    return cell_median(cells, d, SPEC.size)


def ours_statistics(lon, lat, depth):
    cells, d = _cells(lon, lat, depth)
    return cell_statistics(cells, d, SPEC.size)


# -- measuring ----------------------------------------------------------------------------
def baseline_accumulate(count, total, lon, lat, depth, spec: GridSpec = SPEC) -> None:
    """The baseline's chunk step: plain numpy cell index, then bincount into accumulators."""
    nx, ny, res = spec.nx, spec.ny, spec.resolution
    ix = np.floor((lon - spec.west) / res).astype(np.int64)
    iy = np.floor((lat - spec.south) / res).astype(np.int64)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    cells = (iy * nx + ix)[inside]
    np.add(count, np.bincount(cells, minlength=spec.size), out=count)
    np.add(total, np.bincount(cells, weights=depth[inside], minlength=spec.size), out=total)


def _timed(fn, *args) -> float:
    gc.collect()
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def peak_mib(fn, *args) -> float:
    """tracemalloc peak of one call, above what was allocated when it started."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fn(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / MiB


def _check(lon, lat, depth) -> None:
    """Our mean equals the baseline's; our median equals numpy.median for a few cells."""
    mean, count = ours_mean(lon, lat, depth)
    base_mean, base_count = baseline_mean(lon, lat, depth)
    assert np.array_equal(count, base_count)
    assert np.allclose(mean, base_mean, equal_nan=True)
    median, mcount = ours_median(lon, lat, depth)
    assert np.array_equal(mcount, count)
    cells, d = _cells(lon, lat, depth)
    rng = np.random.default_rng(1)
    for c in rng.choice(np.flatnonzero(count > 0), 5, replace=False):
        expected = np.median(d[cells == c])
        assert abs(median[c] - expected) <= 1e-3, (c, median[c], expected)  # exact to 1 mm
    stats = ours_statistics(lon, lat, depth)
    assert np.allclose(stats["mean"], base_mean, equal_nan=True)
    assert np.allclose(stats["median"], median, equal_nan=True)


def _chunked(n_total: int) -> dict:
    """Grid n_total soundings in chunks: ours (mean, count, std) and baseline (mean, count)."""
    size = SPEC.size
    count = np.zeros(size, np.int64)
    total = np.zeros(size)
    squares = np.zeros(size)
    b_count = np.zeros(size, np.int64)
    b_total = np.zeros(size)
    ours_s = base_s = 0.0
    chunk = min(CHUNK, n_total)

    def ours_chunk(lon, lat, depth):
        cells, d = _cells(lon, lat, depth)
        np.add(count, np.bincount(cells, minlength=size), out=count)
        np.add(total, np.bincount(cells, weights=d, minlength=size), out=total)
        np.add(squares, np.bincount(cells, weights=d * d, minlength=size), out=squares)

    def base_chunk(lon, lat, depth):
        baseline_accumulate(b_count, b_total, lon, lat, depth)

    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    for i, b in enumerate(range(0, n_total, chunk)):
        lon, lat, depth = points(min(chunk, n_total - b), seed=100 + i)
        if i % 2:
            base_s += _timed(base_chunk, lon, lat, depth)
            ours_s += _timed(ours_chunk, lon, lat, depth)
        else:
            ours_s += _timed(ours_chunk, lon, lat, depth)
            base_s += _timed(base_chunk, lon, lat, depth)
        del lon, lat, depth
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        variance = np.maximum(squares / count - mean * mean, 0.0) * count / np.maximum(count - 1, 1)
        std = np.sqrt(variance)
        b_mean = b_total / b_count
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    wall = time.perf_counter() - started
    assert count.sum() == n_total and np.array_equal(count, b_count)
    assert np.allclose(mean, b_mean, equal_nan=True)
    assert np.nanmax(std) < 5.0
    return {
        "ours": n_total / ours_s,
        "base": n_total / base_s,
        "peak": peak,
        "chunk": chunk,
        "wall": wall,
        "cells_hit": int((count > 0).sum()),
    }


def _depth_grid(n_chunks: int, chunk: int) -> dict:
    """DepthGrid.add, chunk after chunk: rate of each add and memory it holds."""
    grid = DepthGrid((SPEC.west, SPEC.south, SPEC.east, SPEC.north), SPEC.resolution)
    rates = []
    tracemalloc.start()
    for i in range(n_chunks):
        lon, lat, depth = points(chunk, seed=200 + i)
        frame = pd.DataFrame(
            {
                "time": pd.Timestamp("2024-05-01", tz="UTC")
                + pd.to_timedelta(np.arange(chunk), "s"),
                "longitude": lon,
                "latitude": lat,
                "depth_below_transducer": depth,
                "vessel": "self",
            }
        )
        del lon, lat, depth
        started = time.perf_counter()
        grid.add(frame)
        rates.append(chunk / (time.perf_counter() - started))
        del frame
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    held = sum(a.nbytes for a in (grid.cells, grid.depth, grid.codes, grid._kept)) / MiB
    return {"rates": rates, "peak": peak, "held": held, "n": n_chunks * chunk}


def _external(n_total: int, bands: int = 32) -> dict:
    """Exact medians for n_total soundings through band files; baseline: chunked mean."""
    size = SPEC.size
    b_count = np.zeros(size, np.int64)
    b_total = np.zeros(size)
    chunk = min(CHUNK, n_total)

    def base_chunk(lon, lat, depth):
        baseline_accumulate(b_count, b_total, lon, lat, depth)

    ours_s = base_s = 0.0
    gc.collect()
    tracemalloc.start()
    with ExternalGridder(SPEC, bands=bands) as gridder:
        for i, b in enumerate(range(0, n_total, chunk)):
            lon, lat, depth = points(min(chunk, n_total - b), seed=100 + i)
            base_s += _timed(base_chunk, lon, lat, depth)
            ours_s += _timed(gridder.add, lon, lat, depth)
            del lon, lat, depth
        disk = sum(f.stat().st_size for f in gridder.dir.glob("*.keys")) / MiB
        started = time.perf_counter()
        stats = gridder.finish()
        ours_s += time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MiB
    tracemalloc.stop()
    assert stats["count"].sum() + gridder.rejected == n_total
    with np.errstate(invalid="ignore", divide="ignore"):
        b_mean = b_total / b_count
    hit = b_count > 0
    # medians of 100 soundings of noise 0.3 m sit close to the means
    assert np.nanmax(np.abs(stats["median"][hit] - b_mean[hit])) < 1.5
    return {
        "ours": n_total / ours_s,
        "base": n_total / base_s,
        "peak": peak,
        "disk": disk,
        "bands": bands,
        "chunk": chunk,
    }


def run(quick: bool = False) -> list[Result]:
    n = 1_000_000 if quick else 10_000_000
    n_chunked = 2_000_000 if quick else 100_000_000
    lon, lat, depth = points(n)
    _check(lon, lat, depth)

    best = {"base": [], "mean": [], "median": [], "stats": []}
    sides = {
        "base": baseline_mean,
        "mean": ours_mean,
        "median": ours_median,
        "stats": ours_statistics,
    }
    for _ in range(3):
        for key, fn in sides.items():
            best[key].append(_timed(fn, lon, lat, depth))
    rate = {key: n / min(times) for key, times in best.items()}
    peak = {key: peak_mib(fn, lon, lat, depth) for key, fn in sides.items()}
    del lon, lat, depth

    chunked = _chunked(n_chunked)
    external = _external(n_chunked)
    dg = _depth_grid(2 if quick else 4, 250_000 if quick else 1_000_000)

    grid = f"{SPEC.nx}×{SPEC.ny} cells"
    base_name = "numpy.bincount mean"
    base_peak = f"baseline {peak['base']:.0f} MiB"
    return [
        Result(
            "gridding: per-cell mean",
            "points/s",
            rate["mean"],
            rate["base"],
            base_name,
            goal=0.8,
            notes=f"{n:,} points, {grid}; peak {peak['mean']:.0f} MiB ({base_peak})",
        ),
        Result(
            "gridding: per-cell median (exact to 1 mm)",
            "points/s",
            rate["median"],
            rate["base"],
            base_name,
            goal=0.3,
            notes=f"{n:,} points; peak {peak['median']:.0f} MiB ({base_peak})",
        ),
        Result(
            "gridding: cell_statistics (median, mean, std, count, uncertainty)",
            "points/s",
            rate["stats"],
            rate["base"],
            base_name,
            notes=f"{n:,} points; peak {peak['stats']:.0f} MiB ({base_peak})",
        ),
        Result(
            "gridding in chunks: mean + count + std, bounded memory",
            "points/s",
            chunked["ours"],
            chunked["base"],
            "chunked numpy.bincount mean",
            notes=(
                f"{n_chunked:,} points in chunks of {chunked['chunk']:,} generated on the fly; "
                f"peak {chunked['peak']:.0f} MiB incl. the chunk and accumulators "
                f"(both sides, tracemalloc on while timing); ours also sums squares for std"
            ),
        ),
        Result(
            "gridding in chunks: exact median + stats, bounded memory (band files)",
            "points/s",
            external["ours"],
            external["base"],
            "chunked numpy.bincount mean",
            notes=(
                f"{n_chunked:,} points in chunks of {external['chunk']:,}; ExternalGridder with "
                f"{external['bands']} bands: outliers rejected, median, mean, std, count, "
                f"uncertainty; peak {external['peak']:.0f} MiB (tracemalloc), "
                f"{external['disk']:.0f} MiB of band files on disk"
            ),
        ),
        Result(
            "DepthGrid.add (incl. reduce_soundings), last chunk",
            "points/s",
            dg["rates"][-1],
            dg["rates"][0],
            "its first add",
            notes=(
                f"{len(dg['rates'])} adds of {dg['n'] // len(dg['rates']):,}; rates "
                + ", ".join(f"{r:,.0f}" for r in dg["rates"])
                + f"; holds {dg['held']:.0f} MiB of soundings "
                f"({dg['held'] * MiB / dg['n']:.0f} B each), peak {dg['peak']:.0f} MiB"
            ),
        ),
    ]
