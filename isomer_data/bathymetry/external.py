"""Exact per-cell medians for more soundings than fit in memory: tiles spilled to disk.

A median needs each cell's whole sample, so memory cannot be bounded by streaming alone.
But it only needs *one cell's* sample at a time. The grid is cut into bands of rows;
soundings arriving in chunks are packed (cell, depth in mm) into 8-byte keys and appended to
their band's file. At the end each band is read back, sorted and reduced with the same
code as :func:`isomer_data.bathymetry.grid.cell_statistics` (outliers rejected per cell
first). Memory is one chunk while adding, one band while finishing, plus the output grid;
disk is 8 bytes per sounding. Results are identical to gridding everything at once with
depths rounded to the millimetre (medians are exact to 1 mm either way).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from isomer_data.bathymetry.grid import (
    DEPTH_OFFSET_MM,
    MM,
    GridSpec,
    cell_statistics,
    empty_statistics,
    reject_outliers,
    s44_coefficients,
)

DEFAULT_BAND_SOUNDINGS = 20_000_000  # ~160 MB of keys per band at most, on average


class ExternalGridder:
    """Add soundings chunk by chunk (lon, lat, depth arrays); ``finish()`` gives the stats.

    Parameters
    ----------
    spec : GridSpec
    bands : int
        Row bands the grid is cut into; more bands, less memory while finishing.
    workdir : path, optional
        Where the band files go (a temporary folder by default, removed by ``close``).
    k : float
        Outlier threshold, as in :func:`isomer_data.bathymetry.grid.reject_outliers`.
    order : str
        IHO S-44 order for the uncertainty, as in :func:`isomer_data.bathymetry.grid_soundings`.
    """

    def __init__(
        self, spec: GridSpec, bands: int = 16, workdir=None, k: float = 3.0, order: str = "1b"
    ):
        s44_coefficients(order)
        self.order = order
        self.rejected = 0
        self.spec = spec
        self.bands = max(1, min(int(bands), spec.ny))
        self.rows_per_band = -(-spec.ny // self.bands)
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="isomer-grid-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        # Held open from the first add to close(): one append per band and chunk.
        self.files = [
            open(self.dir / f"band-{b:04d}.keys", "ab")  # noqa: SIM115
            for b in range(self.bands)
        ]
        self.k = k
        self.added = 0
        self.outside = 0

    def add(self, lon, lat, depth) -> None:
        cells = self.spec.cells(lon, lat)
        depth = np.asarray(depth, dtype=float)
        inside = (cells >= 0) & np.isfinite(depth)
        self.outside += int((~inside).sum())
        cells, depth = cells[inside], depth[inside]
        mm = np.rint(depth * MM).astype(np.int64) + DEPTH_OFFSET_MM
        keys = (cells << 32) | mm
        band = (cells // self.spec.nx) // self.rows_per_band
        order = np.argsort(band, kind="stable")
        keys, band = keys[order], band[order]
        edges = np.searchsorted(band, np.arange(self.bands + 1))
        for b in range(self.bands):
            if edges[b + 1] > edges[b]:
                keys[edges[b] : edges[b + 1]].tofile(self.files[b])
        self.added += len(keys)

    def finish(self) -> dict[str, np.ndarray]:
        """Per-cell median, mean, std, count, uncertainty over the whole grid."""
        size = self.spec.size
        stats = empty_statistics(size)
        self.rejected = 0
        for b, handle in enumerate(self.files):
            handle.flush()
            keys = np.fromfile(self.dir / f"band-{b:04d}.keys", dtype=np.int64)
            if not len(keys):
                continue
            first = b * self.rows_per_band * self.spec.nx
            last = min((b + 1) * self.rows_per_band * self.spec.nx, size)
            cells = (keys >> 32) - first  # cells relative to the band
            depth = ((keys & 0xFFFFFFFF) - DEPTH_OFFSET_MM) / MM
            del keys
            n = last - first
            keep = reject_outliers(cells, depth, n, k=self.k)
            self.rejected += int((~keep).sum())
            band_stats = cell_statistics(cells[keep], depth[keep], n, self.order)
            for name, values in band_stats.items():
                stats[name][first:last] = values
        return stats

    def close(self) -> None:
        for handle in self.files:
            handle.close()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ExternalGridder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
