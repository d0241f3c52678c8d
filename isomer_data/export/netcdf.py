"""NetCDF4 with CF-1.8 / ACDD-1.3 metadata, compressed.

xarray's defaults would put ``_FillValue = NaN`` on ``lat``/``lon`` (CF forbids fill
values on coordinates) and write uncompressed; the encoding below fixes both, and the
``grid_mapping`` attributes are checked to survive.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

FILL_FLOAT = -9999.0
FILL_INT = -1


def to_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` as compressed NetCDF4; returns the path."""
    path = Path(path)
    encoding: dict = {}
    for name in ds.coords:
        if ds[name].dims and name in ds.dims:
            encoding[name] = {"_FillValue": None}
    for name, var in ds.data_vars.items():
        fill = FILL_INT if np.issubdtype(var.dtype, np.integer) else FILL_FLOAT
        encoding[name] = {"zlib": True, "complevel": 4, "shuffle": True, "_FillValue": fill}
    ds.to_netcdf(path, engine="netcdf4", format="NETCDF4", encoding=encoding)
    return path
