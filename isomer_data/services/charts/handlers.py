"""Signal K v2 chart resources and their tiles.

``GET /signalk/v2/api/resources/charts`` — every chart, ``{identifier: resource}``;
``GET /signalk/v2/api/resources/charts/ID`` — one;
``GET /signalk/chart-tiles/ID/Z/X/Y`` — one tile (where signalk-server's charts plugin
serves them, so the resource's ``url`` looks as Freeboard-SK expects).

Who: admins, crew and scientists read (Signal K's read-only users are crew here); vessel
identities and anonymous callers do not (``isomer.charts``, the Authorizer). Charts are
added by ``isomer ingest`` only: these routes have no write methods (405).
"""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.core.errors import ERRORS, HTTP_STATUS, IsomerError
from isomer_data.services.auth.authorizer import CHARTS
from isomer_data.services.charts.manager import BASEMAP_ID, ChartNotFound, basemap_style
from isomer_data.tiles.grid import TileOutOfRange

CHART_ID = r"([A-Za-z0-9_-]{1,64})"
# At most 10 digits each: the grid check refuses the out-of-range ones with a reason.
TILE = r"(\d{1,10})/(\d{1,10})/(\d{1,10})"
# Tiles change only when a chart is ingested again (then their ETag changes too); the
# browser keeps them an hour, then revalidates. Private: they are behind a login.
TILE_CACHE_CONTROL = "private, max-age=3600"


class _ChartsHandler(APIHandler):
    auth_resource = CHARTS

    @property
    def charts(self):
        return self.settings["isomer"].charts

    def fail(self, code: str, number: int, detail: str = "") -> None:
        """The platform's REST error: ``{"error": {code, message}}``, the message numbered."""
        spec = ERRORS[number]
        message = f"{number}: {spec.title}" + (f" ({detail})" if detail else "")
        self.set_status(HTTP_STATUS[code])
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"error": {"code": code, "message": message}}))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Cache-Control", "no-store")
        super().write_error(status_code, **kwargs)


class ChartListHandler(_ChartsHandler):
    @web.authenticated
    @authorized
    async def get(self):
        resources = await self.charts.resources(self.base_url)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.finish(json.dumps(resources))


class ChartHandler(_ChartsHandler):
    @web.authenticated
    @authorized
    async def get(self, identifier: str):
        try:
            resource = await self.charts.resource(identifier, self.base_url)
        except ChartNotFound:
            self.fail("not_found", 50745, identifier)
            return
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.finish(json.dumps(resource))


class TileHandler(_ChartsHandler):
    @web.authenticated
    @authorized
    async def get(self, identifier: str, z: str, x: str, y: str):
        try:
            tile = await self.charts.tile(identifier, int(z), int(x), int(y))
        except TileOutOfRange as exc:
            self.fail("invalid", 50744, str(exc))
            return
        except ChartNotFound:
            self.fail("not_found", 50745, identifier)
            return
        except IsomerError as exc:
            self.log.warning("chart %s tile %s/%s/%s: %s", identifier, z, x, y, exc)
            # the file moved since it was ingested, or is broken: the log has which
            self.fail("not_found" if exc.code == 61005 else "internal", exc.code, identifier)
            return
        self.set_header("Cache-Control", TILE_CACHE_CONTROL)
        self.set_header("Vary", "Cookie, Authorization")
        if tile is None:
            self.set_status(204)  # no tile here: MapLibre and OpenLayers draw nothing
            self.finish()
            return
        self.set_header("ETag", tile.etag)
        if tile.etag in (self.request.headers.get("If-None-Match") or ""):
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Type", tile.content_type)
        if tile.encoding:
            self.set_header("Content-Encoding", tile.encoding)
        self.finish(tile.data)

    def compute_etag(self):
        return None  # ours is set above, from the tile itself

    def finish(self, *args, **kwargs):
        if self._status_code >= 400:  # errors are JSON, as every API's
            return super().finish(*args, **kwargs)
        # APIHandler.finish would label a tile application/json
        return super(APIHandler, self).finish(*args, **kwargs)


class StyleHandler(_ChartsHandler):
    """The basemap's MapLibre style: Freeboard-SK applies a chart's ``style`` to its layer
    (land in sand, coastline dark) instead of OpenLayers' default outline."""

    @web.authenticated
    @authorized
    async def get(self, identifier: str):
        if identifier != BASEMAP_ID:
            self.fail("not_found", 50745, f"{identifier} has no style")
            return
        origin = f"{self.request.protocol}://{self.request.host}"
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.finish(json.dumps(basemap_style(origin + self.base_url)))


handlers = [
    (r"/signalk/v2/api/resources/charts/?", ChartListHandler),
    (rf"/signalk/v2/api/resources/charts/{CHART_ID}/?", ChartHandler),
    (rf"/signalk/chart-tiles/{CHART_ID}/{TILE}", TileHandler),
    (rf"/signalk/chart-tiles/{CHART_ID}/style\.json", StyleHandler),
]
