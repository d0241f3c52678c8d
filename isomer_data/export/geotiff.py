"""GeoTIFF and Cloud-Optimized GeoTIFF through rasterio.

A plain GeoTIFF is not a COG: the COG driver is asked for explicitly, with DEFLATE, the
floating-point predictor, 512-pixel tiles and averaged overviews. Nodata is always set on
float rasters so empty cells stay empty in GIS software.

The file carries what a GIS shows and a catalogue indexes: the band's unit and description
(and its CF ``standard_name``/``positive`` as band tags), the dataset's licence, dates and
title as tags, and the baseline TIFF date, description and copyright tags. They are written
before the COG driver lays out the file (rasterio copies the dataset into the COG on close),
so the file stays a valid COG; ``tests/export/test_metadata.py`` checks it with rio-cogeo.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rioxarray  # noqa: F401 - registers the .rio accessor
import xarray as xr

# Dataset attributes kept as GeoTIFF tags (the rest describe the NetCDF layout).
DATASET_TAGS = (
    "title",
    "summary",
    "license",
    "institution",
    "creator_name",
    "creator_url",
    "acknowledgement",
    "date_created",
    "history",
    "time_coverage_start",
    "time_coverage_end",
    "id",
    "naming_authority",
    "depth_convention",
    "grid_registration",
)
BAND_TAGS = ("standard_name", "long_name", "units", "positive", "cell_methods", "comment")


def to_geotiff(ds: xr.Dataset, path: str | Path, var: str = "depth", *, cog: bool = False) -> Path:
    """Write one variable of a lat/lon dataset as a single-band (Cloud-Optimized) GeoTIFF.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset with ``lat``/``lon`` dimensions, e.g. a depth map.
    path : str or Path
    var : str
        The variable written as the band (default ``depth``).
    cog : bool
        Write a Cloud-Optimized GeoTIFF (tiled, with overviews).
    """
    import rasterio

    path = Path(path)
    da = ds[var]
    if "lat" in da.dims:
        da = da.rename({"lon": "x", "lat": "y"}).transpose("y", "x")
    data = da.astype("float32").values
    transform = da.rio.transform(recalc=True)
    profile = {
        "driver": "COG" if cog else "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": np.nan,
        "compress": "DEFLATE",
        "predictor": 3,
    }
    if cog:
        profile.update(blocksize=512, overview_resampling="average")
    else:
        profile.update(tiled=True)
    attrs = ds[var].attrs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, attrs.get("long_name", var))
        if attrs.get("units"):
            dst.set_band_unit(1, attrs["units"])
        dst.update_tags(1, **{k: str(attrs[k]) for k in BAND_TAGS if k in attrs})
        dst.update_tags(**_dataset_tags(ds.attrs))
    return path


def _dataset_tags(attrs: dict) -> dict[str, str]:
    tags = {k: str(attrs[k]) for k in DATASET_TAGS if k in attrs}
    created = attrs.get("date_created")
    when = (
        datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
        if isinstance(created, str)
        else datetime.now(UTC)
    )
    tags.setdefault("date_created", when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    tags["TIFFTAG_DATETIME"] = when.strftime("%Y:%m:%d %H:%M:%S")  # the TIFF 6.0 form
    if "title" in attrs:
        tags["TIFFTAG_IMAGEDESCRIPTION"] = str(attrs["title"])
    if "license" in attrs:
        holder = attrs.get("institution") or attrs.get("creator_name") or "the contributors"
        tags["TIFFTAG_COPYRIGHT"] = f"{holder}; licence {attrs['license']}"
    return tags
