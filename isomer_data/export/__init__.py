"""Files researchers can open anywhere: NetCDF (CF/ACDD), GeoTIFF and COG, GeoPackage,
GeoJSON, CSV and Parquet. Each writer takes the plain object the query API returns.

The writers are imported when first used (``from isomer_data.export import to_netcdf``
works as ever): xarray, rioxarray and geopandas cost most of a second to import, which
``isomer export csb`` or a parquet export, importing a sibling module, should not pay.
"""

from __future__ import annotations

import importlib

# Each public writer and the module that holds it.
_WRITERS = {
    "to_geojson": "vector",
    "to_geopackage": "vector",
    "to_geotiff": "geotiff",
    "to_netcdf": "netcdf",
}

__all__ = sorted(_WRITERS)


def __getattr__(name: str):
    if name in _WRITERS:
        return getattr(importlib.import_module(f"{__name__}.{_WRITERS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
