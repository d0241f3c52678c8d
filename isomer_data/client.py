"""``isomer_data.connect()``: the platform's data as xarray, pandas and GeoPandas objects.

Inside the platform's Jupyter the kernel inherits ``ISOMER_DATA_DB`` from the server,
so ``connect()`` needs no arguments; outside, pass the MongoDB URL (``mongodb://…/db``)
or an ``--instance`` name whose running platform to attach to.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

ENV_DB = "ISOMER_DATA_DB"
ENV_URL = "ISOMER_DATA_URL"
ENV_TOKEN = "ISOMER_DATA_TOKEN"


class Client:
    """Queries over one platform database; every method returns a plain library object."""

    def __init__(self, url: str, database: str):
        from pymongo import MongoClient

        self.url = url
        self.database = database
        self._client = MongoClient(url, serverSelectionTimeoutMS=5000, tz_aware=True)
        self.db = self._client[database]

    def __repr__(self) -> str:
        from isomer_data.config import redact

        return f"<isomer_data.Client {redact(self.url)} database={self.database!r}>"

    def close(self) -> None:
        self._client.close()

    # -- observations -------------------------------------------------------------------
    def observations(
        self,
        paths: str | Sequence[str] | None = None,
        vessels: str | Sequence[str] | None = "self",
        start=None,
        end=None,
        bbox: Sequence[float] | None = None,
        as_: str = "xarray",
        time_source: str | Sequence[str] | None = None,
    ):
        """Stored observations as an ``xarray.Dataset`` (default) or a long DataFrame.

        Parameters
        ----------
        paths : str or list of str, optional
            Signal K paths, ``*`` wildcards allowed (``"environment.*"``); all if None.
        vessels : str or list of str, optional
            ``"self"`` (default), ``"urn:mrn:imo:mmsi:NNN"``; None for all vessels.
        start, end : optional
            Time range (datetime, ISO 8601 string, pandas.Timestamp).
        bbox : (west, south, east, north), optional
            Keep only times when the vessel was inside (nearest position fix).
        as_ : {"xarray", "pandas"}
        time_source : str or list of str, optional
            Only values dated by these rules: ``"gps"`` (the GNSS receiver's date), or
            ``"given"``, ``"file-date"``, ``"mtime"``, ``"ingest-time"``,
            ``"receive-time"``, ``"logger"`` (``docs/storage.md``); all if None.

        Returns
        -------
        xarray.Dataset
            Dims ``time`` (and ``vessel`` when several vessels are asked for), one variable
            per path with CF ``units``/``standard_name``; positions as ``latitude`` and
            ``longitude``.
        pandas.DataFrame
            With ``as_="pandas"``: ``time``, ``vessel``, ``path``, ``source``, ``value``,
            ``time_source``.

        Examples
        --------
        >>> isomer = isomer_data.connect()
        >>> ds = isomer.observations(["navigation.speedOverGround", "environment.depth.*"])
        >>> ds["navigation.speedOverGround"].plot()
        >>> gps_only = isomer.observations("environment.depth.*", time_source="gps")
        """
        frame = self._observation_frame(paths, vessels, start, end, time_source)
        if bbox is not None:
            frame = _within_bbox(self, frame, bbox, start, end)
        if as_ == "pandas":
            return frame
        if as_ != "xarray":
            raise ValueError("as_ must be 'xarray' or 'pandas'")
        return observations_to_xarray(frame)

    # -- geometry -----------------------------------------------------------------------
    def tracks(self, vessels: str | Sequence[str] | None = None, start=None, end=None):
        """Tracks as a GeoDataFrame of LineStrings per vessel and UTC day.

        Columns ``vessel``, ``day``, ``start``, ``end``, ``duration`` (s), ``distance``
        (m, geodesic on WGS 84), ``points``, ``geometry``; CRS EPSG:4326.
        """
        from isomer_data.tracks import tracks_from_positions

        frame = self.observations(
            "navigation.position", vessels=vessels, start=start, end=end, as_="pandas"
        )
        return tracks_from_positions(frame)

    def soundings(self, bbox: Sequence[float] | None = None, start=None, end=None, vessels=None):
        """Depth soundings as a points GeoDataFrame (EPSG:4326), depths in metres."""
        import geopandas as gpd

        frame = self._sounding_frame(bbox, start, end, vessels)
        return gpd.GeoDataFrame(
            frame,
            geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
            crs="EPSG:4326",
        )

    def vessel_offsets(self) -> dict[str, dict]:
        """``vessel -> metadata`` (``transducer_depth``, ``name``, …) of every vessel whose
        transducer depth the platform knows: what the depth map applies to raw depths."""
        return self._offsets()

    def depth_grid(
        self,
        bbox: Sequence[float],
        resolution: float,
        start=None,
        end=None,
        vessels=None,
        tide=None,
        k: float = 3.0,
        order: str = "1b",
    ):
        """The crowdsourced depth map of the stored soundings (see :mod:`isomer_data.bathymetry`).

        ``tide``, ``k`` (outlier threshold) and ``order`` (IHO S-44 order of the uncertainty)
        are passed to :func:`isomer_data.bathymetry.grid_soundings`.
        """
        from isomer_data.bathymetry import grid_soundings

        frame = self._sounding_frame(bbox, start, end, vessels)
        return grid_soundings(
            frame, bbox, resolution, vessels=self._offsets(), tide=tide, k=k, order=order
        )

    # -- where the rows come from: the database here, HTTP in RemoteClient ----------------
    def _observation_frame(self, paths, vessels, start, end, time_source=None) -> pd.DataFrame:
        from isomer_data.store.observations import query_observations

        return query_observations(
            self.db, paths=paths, vessels=vessels, start=start, end=end, time_source=time_source
        )

    def _sounding_frame(self, bbox, start, end, vessels) -> pd.DataFrame:
        from isomer_data.store.soundings import query_soundings

        return query_soundings(self.db, bbox=bbox, start=start, end=end, vessels=vessels)

    def _offsets(self) -> dict:
        from isomer_data.store.vessels import vessel_offsets

        return vessel_offsets(self.db)

    # -- objects ------------------------------------------------------------------------
    def objects(self, schema: str, filter: dict | None = None):
        """Stored objects of one schema as a (Geo)DataFrame, one row per object.

        Routes, waypoints, notes and regions made in a chart plotter (Freeboard-SK, through
        the Signal K resources API) are these objects, as are the panels' waypoints and the
        logbook. Objects with a place get a ``geometry`` (EPSG:4326): a route's LineString,
        a region's Polygon, a waypoint's, note's or logbook entry's Point.

        Parameters
        ----------
        schema : str
            ``"route"``, ``"waypoint"``, ``"note"``, ``"region"``, ``"logbookentry"`` …
        filter : dict, optional
            A MongoDB filter on the objects' fields (direct database access only).

        Examples
        --------
        >>> routes = isomer_data.connect().objects("route")
        >>> routes.to_crs(3857).length  # metres, roughly
        """
        from isomer_data.services.objects.schemas import SchemaRegistry

        registry = SchemaRegistry()
        if schema not in registry.object_schemas:
            raise ValueError(f"no object schema {schema!r}; known: {registry.object_schemas}")
        hidden = {"_id", *registry.write_only(schema)}
        collection = self.db[registry.meta(schema)["collection"]]
        rows = [
            {k: v for k, v in doc.items() if k not in hidden}
            for doc in collection.find(filter or {}).sort("created", 1)
        ]
        return objects_frame(rows)

    # -- datasets -----------------------------------------------------------------------
    def datasets(self) -> pd.DataFrame:
        """Registered rasters, grids, GRIB files and charts."""
        from isomer_data import catalog

        return catalog.list_datasets(self.db)

    def open_dataset(self, name: str):
        """Open a registered dataset as ``xarray.Dataset``."""
        from isomer_data import catalog

        return catalog.open_dataset(self.db, name)

    def chart_layer(self, layer: str, bbox: Sequence[float] | None = None):
        from isomer_data import catalog

        return catalog.chart_layer(self.db, layer, bbox)


class RemoteClient(Client):
    """The same queries over HTTP, as a platform user: ``connect("http://boat:8888", token=…)``.

    Rows come from the platform's ``/isomer/api/data/…`` endpoints as Parquet, so what a
    user may see is decided by the platform (crew, scientists and admins may query) and a
    token can be revoked there. Datasets and charts are files on the platform's disk and
    are not served remotely.
    """

    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.token = token
        self.database = None

    def __repr__(self) -> str:
        return f"<isomer_data.RemoteClient {self.url}>"

    def close(self) -> None:
        return None

    def _get(self, path: str, params: list[tuple[str, str]]) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        from isomer_data.core.errors import IsomerError

        query = urllib.parse.urlencode([(k, v) for k, v in params if v is not None])
        request = urllib.request.Request(
            f"{self.url}/isomer/api/data/{path}" + (f"?{query}" if query else ""),
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise PermissionError(
                    f"the platform refused this query ({exc.code}): the token is unknown, "
                    "revoked, or its user may not query data"
                ) from None
            detail = exc.read().decode(errors="replace")[:300]
            raise IsomerError(50040, f"{self.url}: HTTP {exc.code} {detail}") from None
        except OSError as exc:
            raise IsomerError(50040, f"{self.url}: {exc}") from None

    @staticmethod
    def _params(name: str, values) -> list[tuple[str, str]]:
        if values is None:
            return []
        values = [values] if isinstance(values, str) else list(values)
        return [(name, str(v)) for v in values]

    @staticmethod
    def _time(value) -> str | None:
        return None if value is None else pd.Timestamp(value).isoformat()

    def _observation_frame(self, paths, vessels, start, end, time_source=None) -> pd.DataFrame:
        import io
        import json

        body = self._get(
            "observations",
            self._params("path", paths)
            + self._params("vessel", vessels)
            + [("start", self._time(start)), ("end", self._time(end))],
        )
        table = pd.read_parquet(io.BytesIO(body))
        value = table["number"].astype(object)
        structured = table["json"].notna().to_numpy()
        value[structured] = [json.loads(text) for text in table["json"][structured]]
        frame = pd.DataFrame(
            {
                "time": table["time"],
                "vessel": table["vessel"],
                "path": table["path"],
                "source": table["source"],
                "value": value,
                "time_source": table.get("time_source"),
                "latitude": table["latitude"],
                "longitude": table["longitude"],
            }
        )
        if time_source is not None:  # the HTTP API has no such filter: applied here
            rules = [time_source] if isinstance(time_source, str) else list(time_source)
            frame = frame[frame["time_source"].isin(rules)].reset_index(drop=True)
        return frame

    def _sounding_frame(self, bbox, start, end, vessels) -> pd.DataFrame:
        import io

        params = self._params("vessel", vessels) + [
            ("start", self._time(start)),
            ("end", self._time(end)),
        ]
        if bbox is not None:
            params.append(("bbox", ",".join(str(float(x)) for x in bbox)))
        return pd.read_parquet(io.BytesIO(self._get("soundings", params)))

    def _offsets(self) -> dict:
        import json

        return json.loads(self._get("vessels", []))

    def objects(self, schema: str, filter: dict | None = None):
        """The objects of a schema this user may list (``/isomer/api/objects/SCHEMA``)."""
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        rows: list = []
        skip = 0
        while True:
            query = {"skip": skip, "limit": 1000}
            if filter:
                query["filter"] = json.dumps(filter)
            request = urllib.request.Request(
                f"{self.url}/isomer/api/objects/{urllib.parse.quote(schema)}?"
                + urllib.parse.urlencode(query),
                headers={"Authorization": f"token {self.token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    page = json.loads(response.read())
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise PermissionError(f"the platform refused to list {schema}") from None
                raise ValueError(exc.read().decode(errors="replace")[:300]) from None
            rows += page["items"]
            skip += len(page["items"])
            if not page["items"] or skip >= page["total"]:
                return objects_frame(rows)

    def _local_only(self, *args, **kwargs):
        raise NotImplementedError(
            "datasets and charts are files on the platform: open them in its JupyterLab"
        )

    datasets = open_dataset = chart_layer = _local_only


def observations_to_xarray(frame: pd.DataFrame):
    import xarray as xr

    from isomer_data.units import cf_attrs

    several = frame["vessel"].nunique() > 1
    parts = []
    positions = frame[frame["path"] == "navigation.position"]
    numbers = frame[frame["path"] != "navigation.position"].copy()
    numbers["value"] = pd.to_numeric(numbers["value"], errors="coerce")
    if len(numbers):
        parts.append(
            numbers.pivot_table(
                index=["vessel", "time"], columns="path", values="value", aggfunc="last"
            )
        )
    if len(positions):
        pos = positions.pivot_table(
            index=["vessel", "time"], values=["latitude", "longitude"], aggfunc="last"
        )
        parts.append(pos)
    if not parts:
        return xr.Dataset(coords={"time": np.array([], dtype="datetime64[ns]")})
    wide = pd.concat(parts, axis=1).sort_index()
    wide.columns.name = None
    wide = wide.reset_index()
    wide["time"] = wide["time"].dt.tz_convert("UTC").dt.tz_localize(None)
    if several:
        ds = wide.set_index(["vessel", "time"]).to_xarray()
    else:
        vessel = wide["vessel"].iloc[0]
        ds = wide.drop(columns="vessel").set_index("time").to_xarray()
        ds = ds.assign_coords(vessel=vessel)
    for name in ds.data_vars:
        key = f"navigation.position.{name}" if name in ("latitude", "longitude") else name
        ds[name].attrs.update(cf_attrs(key))
    ds["time"].attrs.update({"standard_name": "time", "long_name": "time (UTC)", "axis": "T"})
    ds["vessel"].attrs.update(
        {"long_name": "vessel (Signal K context)", "cf_role": "trajectory_id"}
    )
    ds.attrs.update(observation_attributes(list(ds.data_vars)))
    return ds


def observation_attributes(names: list[str]) -> dict:
    """ACDD discovery metadata of an observations dataset (``to_netcdf`` adds extents)."""
    from isomer_data.acdd import common_attributes

    return {
        **common_attributes("exported"),
        "title": "Isomer Data vessel observations",
        "summary": "Observations from vessels' instruments as stored by Isomer Data, one "
        "variable per Signal K path, in SI units: " + ", ".join(sorted(names)),
        "keywords": "vessel observations, ship data, Signal K, NMEA, navigation, "
        "meteorology, oceanography",
        "comment": "Variable attribute signalk_path names each variable's Signal K path. "
        "Values as the instruments reported them: range-checked, not otherwise "
        "quality-controlled.",
        "source": "vessels' instruments (NMEA 0183, NMEA 2000, AIS) decoded by Isomer Data",
        "processing_level": "decoded and converted to SI units (L1)",
        "featureType": "trajectory",
    }


def _within_bbox(client: Client, frame: pd.DataFrame, bbox, start, end) -> pd.DataFrame:
    west, south, east, north = map(float, bbox)
    pos = client._observation_frame(
        "navigation.position", list(frame["vessel"].unique()) or None, start, end
    )
    if pos.empty or frame.empty:
        return frame.iloc[0:0]
    pos = pos[["time", "vessel", "latitude", "longitude"]].sort_values("time")
    inside = pos["longitude"].between(west, east) & pos["latitude"].between(south, north)
    pos = pos.assign(inside=inside)
    merged = pd.merge_asof(
        frame.sort_values("time").drop(columns=["latitude", "longitude"]),
        pos[["time", "vessel", "inside"]],
        on="time",
        by="vessel",
        direction="nearest",
    )
    return (
        merged[merged["inside"].fillna(False).astype(bool)]
        .drop(columns="inside")
        .reset_index(drop=True)
    )


def _geometry(row: dict):
    from shapely.geometry import Point, shape

    feature = row.get("feature")
    if isinstance(feature, dict) and isinstance(feature.get("geometry"), dict):
        try:
            return shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, IndexError):
            return None
    position = row.get("position") if isinstance(row.get("position"), dict) else row
    lat, lon = position.get("latitude"), position.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return Point(lon, lat)
    return None


def objects_frame(rows: list[dict]):
    """Objects as a GeoDataFrame when any has a place, else a DataFrame."""
    import geopandas as gpd

    geometry = [_geometry(row) for row in rows]
    frame = pd.DataFrame(rows)
    if any(g is not None for g in geometry):
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return frame


def connect(
    url: str | None = None,
    *,
    token: str | None = None,
    instance: str | None = None,
    lazy: bool = False,
) -> Client | None:
    """Connect to the platform's data.

    Parameters
    ----------
    url : str, optional
        ``http(s)://platform:8888`` (with ``token``: queries run as that user, over HTTP),
        or ``mongodb://host:port/database`` (direct database access, for the platform's own
        kernels and administrators); default: ``ISOMER_DATA_URL``, then ``ISOMER_DATA_DB``
        (set for kernels the platform starts), else the running platform of ``instance``.
    token : str, optional
        A platform token (``iso_…``, from ``/isomer/api/tokens`` or the login); default
        ``ISOMER_DATA_TOKEN``.
    instance : str, optional
        Instance name (default ``ISOMER_INSTANCE`` or ``default``).
    lazy : bool
        Return None instead of raising when nothing can be found (kernel start-up).

    Returns
    -------
    Client
    """
    from isomer_data.config import IsomerConfig
    from isomer_data.core.errors import IsomerError
    from isomer_data.database.embedded import read_runtime

    url = url or os.environ.get(ENV_URL) or os.environ.get(ENV_DB)
    if url and url.startswith(("http://", "https://")):
        token = token or os.environ.get(ENV_TOKEN)
        if not token:
            from isomer_data.core.errors import IsomerError

            raise IsomerError(
                50030,
                "connecting over HTTP needs a token: connect(URL, token=…) or ISOMER_DATA_TOKEN",
            )
        return RemoteClient(url, token)
    config_kwargs = {"instance": instance} if instance else {}
    from traitlets.config import Config

    config = IsomerConfig(config=Config({"IsomerConfig": config_kwargs}))
    if url:
        name = IsomerConfig(config=Config({"IsomerConfig": {"db_url": url}})).database_name
        return Client(url, name)
    if config.db_url:
        return Client(config.db_url, config.database_name)
    running = read_runtime(config.db_dir)
    if running:
        return Client(running["url"], config.database_name)
    if lazy:
        return None
    raise IsomerError(
        50020, f"no running platform for instance {config.instance!r}; pass a mongodb:// URL"
    )
