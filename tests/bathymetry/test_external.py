"""Gridding through band files on disk gives what gridding in memory gives (to the mm)."""

from __future__ import annotations

import numpy as np

from isomer_data.bathymetry.external import ExternalGridder
from isomer_data.bathymetry.grid import GridSpec, cell_statistics, reject_outliers


def test_external_equals_in_memory(tmp_path):
    spec = GridSpec(-1.4, 50.7, -1.2, 50.9, 0.01)
    rng = np.random.default_rng(7)
    n = 200_000
    lon = rng.uniform(-1.45, -1.15, n)  # some outside the box
    lat = rng.uniform(50.65, 50.95, n)
    depth = 5 + 30 * (lat - 50.7) + rng.normal(0, 0.3, n)
    depth[::997] += 40  # spikes for the outlier rule

    with ExternalGridder(spec, bands=7, workdir=tmp_path / "bands") as gridder:
        for b in range(0, n, 30_000):  # chunk boundaries unrelated to cells
            gridder.add(lon[b : b + 30_000], lat[b : b + 30_000], depth[b : b + 30_000])
        ours = gridder.finish()
        assert len(list((tmp_path / "bands").glob("*.keys"))) == 7

    cells = spec.cells(lon, lat)
    inside = cells >= 0
    assert gridder.outside == int((~inside).sum())
    cells, d = cells[inside], np.round(depth[inside], 3)  # the band files hold millimetres
    keep = reject_outliers(cells, d, spec.size)
    expected = cell_statistics(cells[keep], d[keep], spec.size)
    assert gridder.rejected == int((~keep).sum()) > 0
    np.testing.assert_array_equal(ours["count"], expected["count"])
    np.testing.assert_allclose(ours["median"], expected["median"], atol=5e-4, equal_nan=True)
    np.testing.assert_allclose(ours["mean"], expected["mean"], atol=5e-4, equal_nan=True)
    np.testing.assert_allclose(ours["std"], expected["std"], atol=5e-4, equal_nan=True)
    # spot check one cell against numpy's own median of its kept soundings
    cell = int(np.argmax(expected["count"]))
    in_cell = d[keep][cells[keep] == cell]
    assert abs(ours["median"][cell] - np.median(in_cell)) < 1e-3
