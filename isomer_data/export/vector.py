"""Tracks and soundings as GeoPackage or GeoJSON (pyogrio through GeoPandas)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd


def soundings_frame(soundings: pd.DataFrame) -> gpd.GeoDataFrame:
    """Soundings DataFrame → points GeoDataFrame in EPSG:4326 (times as ISO strings)."""
    frame = soundings.copy()
    if "time" in frame:
        frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]), crs="EPSG:4326"
    )


def _frame(data) -> gpd.GeoDataFrame:
    return data if isinstance(data, gpd.GeoDataFrame) else soundings_frame(data)


def to_geopackage(data, path: str | Path, layer: str = "soundings") -> Path:
    path = Path(path)
    _frame(data).to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def to_geojson(data, path: str | Path) -> Path:
    path = Path(path)
    _frame(data).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path
