"""``POST /isomer/api/sync/batches``: where boats hand the shore their batches.

Who may: a ``vessel`` identity (the boat's token) and admins; nobody else, anonymous
neither (the authorizer's ``sync`` resource). The body is bounded before it is read
(``Content-Length`` up to ``MAX_BATCH_BYTES``, the connection's body limit set to it), the
work (decompress, check, apply) runs in a thread under the vessel's lock.

Answers: 200 with the acknowledgement (also for a batch seen before: the same one), 400/413
with a numbered error for a batch refused whole, 409 with ``position`` when the batch starts
past what the shore holds, 429 while another batch of the same vessel is being applied.
"""

from __future__ import annotations

import json
import re

from jupyter_server.base.handlers import APIHandler
from tornado import web

from isomer_data.services.auth.authorizer import SYNC
from isomer_data.services.sync import protocol

_NAME = re.compile(r"^[0-9a-f]{64}$")


@web.stream_request_body
class BatchHandler(APIHandler):
    auth_resource = SYNC

    async def prepare(self) -> None:
        await super().prepare()
        if self.current_user is None or not self.authorizer.is_authorized(
            self, self.current_user, "write", SYNC
        ):
            raise web.HTTPError(403, "submitting sync batches needs the vessel role")
        if self.request.method != "POST":
            return
        shore = self.settings["isomer"].sync_shore
        if shore.busy(await shore.urn(self.current_user)):
            # One batch per vessel at a time, so a vessel cannot pile bodies up in memory.
            self._refuse(429, 50413, "a batch of this vessel is being applied; send it again")
            return
        length = self.request.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._refuse(411, 50402, "a Content-Length is required")
            return
        if int(length) > protocol.MAX_BATCH_BYTES:
            self._refuse(413, 50404, f"batches are at most {protocol.MAX_BATCH_BYTES} bytes")
            return
        self.request.connection.set_max_body_size(protocol.MAX_BATCH_BYTES)
        self._chunks: list[bytes] = []
        self._size = 0

    def _refuse(self, status: int, code: int, message: str, **extra) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": code, "message": f"{code}: {message}", **extra}))

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._size += len(chunk)
        if self._size > protocol.MAX_BATCH_BYTES:
            self._refuse(413, 50404, f"batches are at most {protocol.MAX_BATCH_BYTES} bytes")
            return
        self._chunks.append(chunk)

    @web.authenticated
    async def post(self) -> None:
        if self._finished:
            return
        name = self.request.headers.get(protocol.HASH_HEADER, "")
        codec = self.request.headers.get(protocol.CODEC_HEADER, "zlib")
        if not _NAME.match(name) or codec not in protocol.CODECS:
            self._refuse(400, 50402, f"{protocol.HASH_HEADER} and {protocol.CODEC_HEADER}")
            return
        shore = self.settings["isomer"].sync_shore
        try:
            ack = await shore.submit(self.current_user, name, codec, b"".join(self._chunks))
        except protocol.BatchError as exc:
            self._refuse(exc.status, exc.code, str(exc))
            return
        except shore.Gap as exc:
            self._refuse(
                409, 50411, "the batch starts past what the shore holds", position=exc.position
            )
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(ack))


class PositionHandler(APIHandler):
    """``GET /isomer/api/sync/position``: what the shore holds of the caller's vessel."""

    auth_resource = SYNC

    @web.authenticated
    async def get(self) -> None:
        if self.current_user is None or not self.authorizer.is_authorized(
            self, self.current_user, "read", SYNC
        ):
            raise web.HTTPError(403, "needs the vessel role")
        shore = self.settings["isomer"].sync_shore
        urn, held = await shore.position(self.current_user)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"vessel": urn, "position": held}))


handlers = [
    (r"/isomer/api/sync/batches", BatchHandler),
    (r"/isomer/api/sync/position", PositionHandler),
]
