"""Gridding soundings: per-cell median, mean, spread, count and uncertainty.

Speed matters (fleets send billions of soundings), so there is no per-cell Python loop:
means come from ``numpy.bincount``; medians from one sort of a packed 64-bit key, the cell
index in the high bits and the depth in millimetres in the low 32 bits, after which each
cell's soundings sit together and in depth order. Medians are therefore exact to 1 mm.

Outliers are rejected per cell with a robust rule: a sounding is dropped when
``|d − median| > k · 1.4826 · max(MAD, floor)`` (k = 3, floor = 0.1 m so a cell of
identical values does not reject everything). 1.4826·MAD estimates the standard
deviation of normal data without being moved by the outliers themselves.

The rule works at millimetre resolution: medians come from whole-millimetre keys and the
MAD from deviations kept to 0.5 mm (exact for depths in whole millimetres), and a
deviation counts as over the limit only when it exceeds it by more than 0.5 mm.

Uncertainty (95 %, metres) combines the IHO S-44 total vertical uncertainty of the depth,
``TVU = √(a² + (b·d)²)`` with the order's a and b (order 1b by default: a = 0.5 m,
b = 0.013; see ``S44_ORDERS``), and the cell's standard error:
``u = √(TVU² + (1.96·σ/√n)²)`` (σ the sample standard deviation; 0 when n = 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MM = 1000.0
DEPTH_OFFSET_MM = 1 << 20  # admits heights up to ~1 km above datum (drying areas)
# 5000 × 5000 cells: a large map whose per-cell arrays still fit a small boat's computer.
MAX_CELLS = 25_000_000
TVU_A, TVU_B = 0.5, 0.013
# IHO S-44 6th edition (2020), table 1: order -> (a in m, b), TVU = √(a² + (b·d)²) at 95 %.
S44_ORDERS = {
    "exclusive": (0.15, 0.0075),
    "special": (0.25, 0.0075),
    "1a": (0.5, 0.013),
    "1b": (0.5, 0.013),
    "2": (1.0, 0.023),
}


@dataclass(frozen=True)
class GridSpec:
    """A regular lon/lat grid: cells of ``resolution`` degrees from the south-west corner."""

    west: float
    south: float
    east: float
    north: float
    resolution: float

    @property
    def nx(self) -> int:
        return max(1, int(np.ceil(round((self.east - self.west) / self.resolution, 9))))

    @property
    def ny(self) -> int:
        return max(1, int(np.ceil(round((self.north - self.south) / self.resolution, 9))))

    @property
    def size(self) -> int:
        return self.nx * self.ny

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Flat cell index (row from the south), −1 outside the box."""
        ix = np.floor((np.asarray(lon, float) - self.west) / self.resolution).astype(np.int64)
        iy = np.floor((np.asarray(lat, float) - self.south) / self.resolution).astype(np.int64)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(inside, iy * self.nx + ix, -1)

    def lon_centres(self) -> np.ndarray:
        return self.west + (np.arange(self.nx) + 0.5) * self.resolution

    def lat_centres(self) -> np.ndarray:
        return self.south + (np.arange(self.ny) + 0.5) * self.resolution


def bincount_mean(cells: np.ndarray, depth: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    count = np.bincount(cells, minlength=size)
    total = np.bincount(cells, weights=depth, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count, count


def sorted_keys(cells: np.ndarray, depth: np.ndarray, per_metre: float = MM) -> np.ndarray:
    units = np.rint(np.asarray(depth, float) * per_metre).astype(np.int64) + DEPTH_OFFSET_MM
    return np.sort((cells.astype(np.int64) << 32) | units)


def median_from_sorted(
    keys: np.ndarray, size: int, per_metre: float = MM
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell median (exact to 1 mm) and count from packed keys sorted ascending."""
    cells = keys >> 32
    depth = ((keys & 0xFFFFFFFF) - DEPTH_OFFSET_MM) / per_metre
    count = np.bincount(cells, minlength=size)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    have = count > 0
    lo = start[have] + (count[have] - 1) // 2
    hi = start[have] + count[have] // 2
    median = np.full(size, np.nan)
    median[have] = (depth[lo] + depth[hi]) / 2
    return median, count


def cell_median(
    cells: np.ndarray, depth: np.ndarray, size: int, per_metre: float = MM
) -> tuple[np.ndarray, np.ndarray]:
    return median_from_sorted(sorted_keys(cells, depth, per_metre), size, per_metre)


def reject_outliers(
    cells: np.ndarray, depth: np.ndarray, size: int, k: float = 3.0, floor: float = 0.1
) -> np.ndarray:
    """Mask of soundings kept by the per-cell median/MAD rule (see the module docstring)."""
    median, _ = cell_median(cells, depth, size)
    deviation = np.abs(depth - median[cells])
    # Half-millimetre keys: a median of whole millimetres can end in .5 mm, and so can the
    # deviations from it; rounding those to whole millimetres would move the MAD.
    mad, _ = cell_median(cells, deviation, size, per_metre=2 * MM)
    limit = k * 1.4826 * np.maximum(mad, floor)
    return deviation <= limit[cells] + 0.5 / MM


def s44_coefficients(order: str) -> tuple[float, float]:
    """(a, b) of an IHO S-44 order; ValueError naming the known orders otherwise."""
    try:
        return S44_ORDERS[str(order)]
    except KeyError:
        known = ", ".join(S44_ORDERS)
        raise ValueError(f"unknown IHO S-44 order {order!r}; known orders: {known}") from None


def tvu(depth: np.ndarray, a: float = TVU_A, b: float = TVU_B) -> np.ndarray:
    return np.sqrt(a**2 + (b * depth) ** 2)


def empty_statistics(size: int) -> dict[str, np.ndarray]:
    """What ``cell_statistics`` returns for a grid with no soundings yet."""
    return {
        "median": np.full(size, np.nan),
        "mean": np.full(size, np.nan),
        "std": np.full(size, np.nan),
        "count": np.zeros(size, dtype=np.int64),
        "uncertainty": np.full(size, np.nan),
    }


def cell_statistics(
    cells: np.ndarray, depth: np.ndarray, size: int, order: str = "1b"
) -> dict[str, np.ndarray]:
    """median, mean, std, count and uncertainty (S-44 ``order``) per cell (NaN where empty)."""
    a, b = s44_coefficients(order)
    median, count = cell_median(cells, depth, size)
    mean, _ = bincount_mean(cells, depth, size)
    squares = np.bincount(cells, weights=depth * depth, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.maximum(squares / count - mean * mean, 0.0)
        variance = variance * count / np.maximum(count - 1, 1)  # sample variance
        std = np.sqrt(variance)
        std[count < 2] = np.nan
        standard_error = np.where(count >= 2, 1.96 * std / np.sqrt(count), 0.0)
        uncertainty = np.sqrt(tvu(median, a, b) ** 2 + standard_error**2)
    return {"median": median, "mean": mean, "std": std, "count": count, "uncertainty": uncertainty}
