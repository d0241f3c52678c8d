"""GeoTIFF and Cloud-Optimized GeoTIFF through rioxarray/rasterio.

A plain ``to_raster()`` is not a COG: the COG driver is asked for explicitly, with DEFLATE,
the floating-point predictor, 512-pixel tiles and averaged overviews. Nodata is always set
on float rasters so empty cells stay empty in GIS software.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rioxarray  # noqa: F401 - registers the .rio accessor
import xarray as xr


def to_geotiff(ds: xr.Dataset, path: str | Path, var: str = "depth", *, cog: bool = False) -> Path:
    """Write one variable of a lat/lon dataset as a single-band (Cloud-Optimized) GeoTIFF."""
    path = Path(path)
    da = (
        ds[var].astype("float32").rename({"lon": "x", "lat": "y"})
        if "lat" in ds[var].dims
        else ds[var]
    )
    da = da.rio.write_crs("EPSG:4326").rio.write_nodata(np.nan, encoded=False)
    da.attrs = {
        k: v for k, v in ds[var].attrs.items() if k in ("units", "long_name", "standard_name")
    }
    if cog:
        da.rio.to_raster(
            path,
            driver="COG",
            compress="DEFLATE",
            predictor=3,
            blocksize=512,
            overview_resampling="average",
        )
    else:
        da.rio.to_raster(path, compress="DEFLATE", predictor=3, tiled=True)
    return path
