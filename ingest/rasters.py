"""GeoTIFF, BAG and GRIB files registered in the dataset catalog (read with rasterio).

Registering reads the file's metadata, not its values: the catalog record says where the
file is and which band holds which variable at which time, and
:func:`isomer_data.store.datasets.open_record` reads the values on demand.

GRIB bands are grouped into variables from GDAL's band metadata: ``GRIB_ELEMENT`` plus the
level in ``GRIB_SHORT_NAME`` name the variable (table below, ``UGRD`` at ``10-HTGL`` is
``u10``), ``GRIB_VALID_TIME`` gives its time step and ``GRIB_UNIT`` its units. GRIB is
read with rasterio's GRIB driver, never cfgrib (see FIELD-NOTES: cfgrib and pyproj crash).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from isomer_data.core.errors import IsomerError
from isomer_data.store.datasets import RASTER_READ_OPTIONS, register_dataset

RASTER_DRIVERS = ("GTiff", "COG", "BAG", "GRIB")
RASTER_SUFFIXES = {".tif", ".tiff", ".bag", ".grb", ".grib", ".grb2", ".grib2"}
RASTER_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+", b"\x89HDF\r\n\x1a\n", b"GRIB")

# (GRIB_ELEMENT, level from GRIB_SHORT_NAME) → (name, CF standard_name, long_name)
GRIB_VARIABLES = {
    ("UGRD", "10-HTGL"): ("u10", "eastward_wind", "10 metre eastward wind"),
    ("VGRD", "10-HTGL"): ("v10", "northward_wind", "10 metre northward wind"),
    ("PRMSL", "0-MSL"): ("msl", "air_pressure_at_mean_sea_level", "mean sea level pressure"),
    ("TMP", "2-HTGL"): ("t2m", "air_temperature", "2 metre air temperature"),
    ("GUST", "0-SFC"): ("gust", "wind_speed_of_gust", "wind gust"),
    ("PRES", "0-SFC"): ("sp", "surface_air_pressure", "surface pressure"),
    ("TMP", "0-SFC"): ("skt", "surface_temperature", "surface temperature"),
    ("HTSGW", "1-SFC"): ("swh", "sea_surface_wave_significant_height", "significant wave height"),
    ("PERPW", "1-SFC"): (
        "pp1d",
        "sea_surface_wave_period_at_variance_spectral_density_maximum",
        "peak wave period",
    ),
    ("DIRPW", "1-SFC"): ("dwp", "sea_surface_wave_from_direction", "primary wave direction"),
}
# GRIB_UNIT as GDAL writes it → CF/UDUNITS spelling.
GRIB_UNITS = {"[m/s]": "m s-1", "[C]": "degC", "[K]": "K", "[Pa]": "Pa", "[m]": "m", "[s]": "s"}
# BAG layers are metres by the BAG specification; GDAL does not set the band unit.
BAG_UNITS = {"elevation": "m", "uncertainty": "m"}
BAND_LONG_NAMES = {"elevation": "elevation", "uncertainty": "vertical uncertainty"}


def describe_raster(path: str | Path, name: str | None = None) -> dict:
    """The catalog record of a raster file, from its metadata only (no database)."""
    import rasterio
    from rasterio.warp import transform_bounds

    path = Path(path).resolve()
    try:
        with rasterio.Env(**RASTER_READ_OPTIONS), rasterio.open(path) as src:
            if src.driver not in RASTER_DRIVERS:
                raise IsomerError(61001, f"{path}: GDAL reads it as {src.driver}")
            tags = [src.tags(band) for band in range(1, src.count + 1)]
            descriptions = list(src.descriptions)
            units = list(src.units)
            driver, crs, bounds = src.driver, src.crs, src.bounds
            shape = [src.height, src.width]
            dtypes, nodata, transform = list(src.dtypes), src.nodata, list(src.transform)[:6]
    except rasterio.errors.RasterioIOError as exc:
        if Path(path).exists():
            raise IsomerError(61003, f"{path}: {exc}") from exc
        raise IsomerError(61001, f"{path}: no such file") from exc
    except rasterio.errors.RasterioError as exc:
        raise IsomerError(61003, f"{path}: {exc}") from exc

    if driver == "GRIB":
        variables, reference_time = _grib_variables(tags)
    else:
        variables, reference_time = _band_variables(driver, descriptions, units, tags), None

    if crs is None:
        bbox = None
    elif crs.is_geographic:
        west, east = bounds.left, bounds.right
        if east - west >= 360.0:
            west, east = -180.0, 180.0
        elif east > 180.0 or west < -180.0:
            # Rolled into −180..180 when opened; a grid that straddles the antimeridian
            # keeps west > east, as GeoJSON bboxes do.
            west, east = (west + 180.0) % 360.0 - 180.0, (east + 180.0) % 360.0 - 180.0
        bbox = [west, bounds.bottom, east, bounds.top]
    else:
        bbox = list(transform_bounds(crs, "EPSG:4326", *bounds))
    return {
        "name": name or path.stem,
        "kind": "raster",
        "driver": driver,
        "path": str(path),
        "crs": crs.to_wkt() if crs else None,
        "epsg": crs.to_epsg() if crs else None,
        "bbox": bbox,
        "native_bounds": list(bounds),
        "transform": transform,
        "shape": shape,
        "bands": len(tags),
        "dtypes": dtypes,
        "nodata": nodata,
        "variables": variables,
        "reference_time": reference_time,
    }


def register_raster(db: Any, path: str | Path, name: str | None = None) -> dict:
    """Register a GeoTIFF, BAG or GRIB file in the catalog (by its stem unless ``name``)."""
    return register_dataset(db, describe_raster(path, name))


def _band_variables(driver: str, descriptions, units, tags) -> list[dict]:
    variables, seen = [], set()
    for band, (description, unit, band_tags) in enumerate(
        zip(descriptions, units, tags, strict=True), 1
    ):
        name = _identifier(description or "") or ("elevation" if len(tags) == 1 else "")
        name = name or f"band_{band}"
        while name in seen:
            name = f"{name}_{band}"
        seen.add(name)
        unit = unit or band_tags.get("units") or band_tags.get("UNITS")
        if not unit and driver == "BAG":
            unit = BAG_UNITS.get(name)
        variables.append(
            {
                "name": name,
                "bands": [band],
                "units": unit or "",
                "long_name": BAND_LONG_NAMES.get(name, description or name),
            }
        )
    return variables


def _grib_variables(tags: list[dict]) -> tuple[list[dict], int | None]:
    by_name: dict[str, dict] = {}
    reference_times = set()
    for band, band_tags in enumerate(tags, 1):
        element = band_tags.get("GRIB_ELEMENT", f"band{band}")
        level = band_tags.get("GRIB_SHORT_NAME", "")
        name, standard_name, long_name = GRIB_VARIABLES.get(
            (element, level),
            (_identifier(f"{element}_{level}" if level else element), None, None),
        )
        unit = band_tags.get("GRIB_UNIT", "")
        valid = _seconds(band_tags.get("GRIB_VALID_TIME"))
        if (ref := _seconds(band_tags.get("GRIB_REF_TIME"))) is not None:
            reference_times.add(ref)
        variable = by_name.setdefault(
            name,
            {
                "name": name,
                "bands": [],
                "times": [],
                "units": GRIB_UNITS.get(unit, unit.strip("[]")),
                "long_name": long_name or band_tags.get("GRIB_COMMENT", name),
                "standard_name": standard_name,
                "grib_element": element,
                "grib_level": level,
            },
        )
        if valid in variable["times"]:
            continue  # the same field twice (e.g. two ensemble members): keep the first
        variable["bands"].append(band)
        variable["times"].append(valid)
    variables = list(by_name.values())
    for variable in variables:
        if None in variable["times"]:
            variable["times"] = []
            del variable["bands"][1:]
    return variables, min(reference_times) if reference_times else None


def _seconds(value) -> int | None:
    """GDAL's GRIB times: seconds since 1970, older GDALs append ' sec UTC'."""
    match = re.match(r"\s*(-?\d+)", value or "")
    return int(match.group(1)) if match else None


def _identifier(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]+", "_", text).strip("_").lower()
