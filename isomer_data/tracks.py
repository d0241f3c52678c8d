"""Tracks: positions into LineStrings per vessel and UTC day, with distance and duration."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point


def tracks_from_positions(positions: pd.DataFrame) -> gpd.GeoDataFrame:
    """``positions`` as :func:`query_observations` returns them for ``navigation.position``."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    rows = []
    frame = positions.dropna(subset=["latitude", "longitude"]).sort_values("time")
    frame = frame.assign(day=frame["time"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d"))
    for (vessel, day), group in frame.groupby(["vessel", "day"], sort=True):
        lon = group["longitude"].to_numpy()
        lat = group["latitude"].to_numpy()
        distance = (
            float(np.sum(geod.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2]))
            if len(lon) > 1
            else 0.0
        )
        geometry = (
            LineString(np.column_stack([lon, lat])) if len(lon) > 1 else Point(lon[0], lat[0])
        )
        start, end = group["time"].iloc[0], group["time"].iloc[-1]
        rows.append(
            {
                "vessel": vessel,
                "day": day,
                "start": start,
                "end": end,
                "duration": (end - start).total_seconds(),
                "distance": distance,
                "points": len(lon),
                "geometry": geometry,
            }
        )
    columns = ["vessel", "day", "start", "end", "duration", "distance", "points", "geometry"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs="EPSG:4326")
