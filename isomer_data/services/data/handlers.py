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

from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.services.auth.roles import ADMIN, CREW, SCIENTIST, roles_of

QUERY_ROLES = {ADMIN, CREW, SCIENTIST}
PARQUET = "application/vnd.apache.parquet"


def may_query(user) -> bool:
    return bool(QUERY_ROLES & set(roles_of(user)))


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
            "latitude": frame["latitude"],
            "longitude": frame["longitude"],
        }
    )


def to_parquet(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


class _DataHandler(APIHandler):
    def check(self) -> None:
        if not may_query(self.current_user):
            raise web.HTTPError(403, "querying data needs the crew, scientist or admin role")

    def bbox(self) -> tuple[float, float, float, float] | None:
        text = self.get_argument("bbox", None)
        if text is None:
            return None
        try:
            bbox = tuple(float(x) for x in text.split(","))
            if len(bbox) != 4:
                raise ValueError
        except ValueError:
            raise web.HTTPError(400, "bbox is W,S,E,N in degrees") from None
        return bbox

    def args(self, name: str):
        values = self.get_arguments(name)
        return values or None

    async def send_parquet(self, make) -> None:
        try:
            body = await asyncio.to_thread(make)
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.set_header("Content-Type", PARQUET)
        self.finish(body)


class ObservationsHandler(_DataHandler):
    @web.authenticated
    async def get(self):
        self.check()
        from isomer_data.store.observations import query_observations

        db = self.settings["isomer"].database.db
        paths, vessels = self.args("path"), self.args("vessel")
        start, end = self.get_argument("start", None), self.get_argument("end", None)

        def make():
            frame = query_observations(db, paths=paths, vessels=vessels, start=start, end=end)
            return to_parquet(observations_table(frame))

        await self.send_parquet(make)


class SoundingsHandler(_DataHandler):
    @web.authenticated
    async def get(self):
        self.check()
        from isomer_data.store.soundings import query_soundings

        db = self.settings["isomer"].database.db
        bbox = self.bbox()
        vessels = self.args("vessel")
        start, end = self.get_argument("start", None), self.get_argument("end", None)

        def make():
            return to_parquet(query_soundings(db, bbox=bbox, start=start, end=end, vessels=vessels))

        await self.send_parquet(make)


class VesselsHandler(_DataHandler):
    @web.authenticated
    async def get(self):
        self.check()
        from isomer_data.store.vessels import vessel_offsets

        offsets = await asyncio.to_thread(vessel_offsets, self.settings["isomer"].database.db)
        self.finish(json.dumps(offsets, default=str))


class ChartLayerHandler(_DataHandler):
    """``GET /isomer/api/data/chart/LAYER[?bbox=W,S,E,N]``: an S-57 layer as GeoJSON."""

    @web.authenticated
    async def get(self, layer: str):
        self.check()
        from isomer_data.catalog import chart_layer

        db = self.settings["isomer"].database.db
        bbox = self.bbox()

        def make() -> str:
            frame = chart_layer(db, layer, bbox)
            return frame.to_json(drop_id=True, to_wgs84=False)

        body = await asyncio.to_thread(make)
        self.set_header("Content-Type", "application/geo+json")
        self.finish(body)


handlers = [
    (r"/isomer/api/data/observations", ObservationsHandler),
    (r"/isomer/api/data/soundings", SoundingsHandler),
    (r"/isomer/api/data/vessels", VesselsHandler),
    (r"/isomer/api/data/chart/([A-Za-z]{6})", ChartLayerHandler),
]
