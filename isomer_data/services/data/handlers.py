"""Query endpoints for remote notebooks and scripts: ``isomer_data.connect(URL, token=…)``.

The data leaves as Parquet (typed columns, compressed, read by pandas without copies), so a
scientist on shore pulls a voyage as fast as the link allows. Who may query: admins, crew
and scientists; a vessel identity feeds data but does not read the fleet's.

``GET /isomer/api/data/observations?path=P&vessel=V&start=T&end=T`` — long form: ``time``,
``vessel``, ``path``, ``source``, ``number`` (numeric values), ``json`` (other values as
JSON), ``latitude``, ``longitude``.
``GET /isomer/api/data/soundings?bbox=W,S,E,N&start=&end=&vessel=``.
``GET /isomer/api/data/vessels`` — sounder offsets per vessel, for the depth map.
"""

from __future__ import annotations

import asyncio
import io
import json
import math

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.core.errors import database_error
from isomer_data.services.auth.authorizer import DATA

# Who may read data through this API. Deliberately not VESSEL: a vessel identity is a
# machine that feeds data (live/publish, Signal K updates); a stolen vessel token must not
# read the fleet's history. Anonymous callers never reach a handler (401).
PARQUET = "application/vnd.apache.parquet"
MAX_VALUES = 256  # path or vessel parameters in one query


class InvalidQuery(ValueError):
    """A query parameter the caller got wrong: 400 ``invalid`` with this message."""


def observations_table(frame):
    """The long frame with its mixed ``value`` column split into typed columns."""
    import numpy as np
    import pandas as pd

    values = frame["value"].to_numpy(dtype=object)
    numeric = np.array(
        [isinstance(v, int | float) and not isinstance(v, bool) for v in values], dtype=bool
    )
    number = np.full(len(values), np.nan)
    number[numeric] = values[numeric].astype(float)
    text = [None if n else json.dumps(v) for v, n in zip(values, numeric, strict=True)]
    return pd.DataFrame(
        {
            "time": frame["time"],
            "vessel": frame["vessel"],
            "path": frame["path"],
            "source": frame["source"],
            "number": number,
            "json": pd.Series(text, dtype=object),
            "time_source": frame["time_source"],
            "latitude": frame["latitude"],
            "longitude": frame["longitude"],
        }
    )


def to_parquet(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


class _DataHandler(APIHandler):
    """Shared checks and the error shape: ``{"error": {"code", "message"}}`` with a status.

    Bad parameters are the caller's (400 ``invalid``) and are found before the database is
    asked; only a database that does not answer is 503 ``database_unavailable`` (50020).
    """

    auth_resource = DATA

    def fail(self, status: int, code: str, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"code": code, "message": message}, "message": message}))

    def bbox(self) -> tuple[float, float, float, float] | None:
        text = self.get_argument("bbox", None)
        if text is None:
            return None
        try:
            bbox = tuple(float(x) for x in text.split(","))
            if len(bbox) != 4 or not all(math.isfinite(x) for x in bbox):
                raise ValueError
        except ValueError:
            raise InvalidQuery("bbox is W,S,E,N in degrees (four finite numbers)") from None
        west, south, east, north = bbox
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise InvalidQuery("bbox: longitudes within ±180, latitudes within ±90, S ≤ N")
        return bbox

    def time_arg(self, name: str) -> str | None:
        from isomer_data.store.observations import _to_seconds

        text = self.get_argument(name, None)
        if text is None:
            return None
        try:
            _to_seconds(text)
        except ValueError as exc:
            raise InvalidQuery(f"{name}: {exc}") from None
        return text

    def args(self, name: str):
        values = self.get_arguments(name)
        if len(values) > MAX_VALUES:
            raise InvalidQuery(f"at most {MAX_VALUES} {name} values")
        return values or None

    async def run(self, make):
        """Run ``make`` in a thread; the result, or None once an error has been answered."""
        from pymongo.errors import ConnectionFailure, PyMongoError

        from isomer_data.core.errors import IsomerError

        try:
            return await asyncio.to_thread(make)
        except (ValueError, InvalidQuery) as exc:
            self.fail(400, "invalid", str(exc))
        except ConnectionFailure as exc:
            self.fail(503, "database_unavailable", database_error(exc).message)
        except PyMongoError as exc:
            self.log.warning("data query refused by the database: %s", exc)
            self.fail(
                500, "database_error", f"the database refused the query ({type(exc).__name__})"
            )
        except IsomerError as exc:
            self.fail(404 if exc.code == 61004 else 400, "invalid", str(exc))
        return None

    async def send_parquet(self, make) -> None:
        body = await self.run(make)
        if body is None:
            return
        self.set_header("Content-Type", PARQUET)
        self.finish(body)

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, InvalidQuery):
            self.fail(400, "invalid", str(exc))
            return
        super().write_error(status_code, **kwargs)


class ObservationsHandler(_DataHandler):
    @web.authenticated
    @authorized
    async def get(self):
        from isomer_data.store.observations import query_observations
        from isomer_data.wildcards import WildcardError, compile_patterns

        db = self.settings["isomer"].database.db
        paths, vessels = self.args("path"), self.args("vessel")
        if paths:
            try:
                compile_patterns(paths)
            except WildcardError as exc:
                raise InvalidQuery(f"path: {exc}") from None
        start, end = self.time_arg("start"), self.time_arg("end")

        def make():
            frame = query_observations(db, paths=paths, vessels=vessels, start=start, end=end)
            return to_parquet(observations_table(frame))

        await self.send_parquet(make)


class SoundingsHandler(_DataHandler):
    @web.authenticated
    @authorized
    async def get(self):
        from isomer_data.store.soundings import query_soundings

        db = self.settings["isomer"].database.db
        bbox = self.bbox()
        vessels = self.args("vessel")
        start, end = self.time_arg("start"), self.time_arg("end")

        def make():
            return to_parquet(query_soundings(db, bbox=bbox, start=start, end=end, vessels=vessels))

        await self.send_parquet(make)


class VesselsHandler(_DataHandler):
    @web.authenticated
    @authorized
    async def get(self):
        from isomer_data.store.vessels import vessel_offsets

        db = self.settings["isomer"].database.db
        offsets = await self.run(lambda: vessel_offsets(db))
        if offsets is not None:
            self.finish(json.dumps(offsets, default=str))


class ChartLayerHandler(_DataHandler):
    """``GET /isomer/api/data/chart/LAYER[?bbox=W,S,E,N]``: an S-57 layer as GeoJSON."""

    @web.authenticated
    @authorized
    async def get(self, layer: str):
        from isomer_data.catalog import chart_layer

        db = self.settings["isomer"].database.db
        bbox = self.bbox()

        def make() -> str:
            frame = chart_layer(db, layer, bbox)
            return frame.to_json(drop_id=True, to_wgs84=False)

        body = await self.run(make)
        if body is None:
            return
        self.set_header("Content-Type", "application/geo+json")
        self.finish(body)


handlers = [
    (r"/isomer/api/data/observations", ObservationsHandler),
    (r"/isomer/api/data/soundings", SoundingsHandler),
    (r"/isomer/api/data/vessels", VesselsHandler),
    (r"/isomer/api/data/chart/([A-Za-z]{6})", ChartLayerHandler),
]
