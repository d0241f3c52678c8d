"""``/isomer/ws``: the one websocket crew panels, notebooks and vessels talk to.

Connecting needs no login, as in the original Isomer: an anonymous client may ping and log
in over the socket (``auth/login``); everything else is refused until it has. A browser
sends its login cookie, a script or vessel a token (``?token=`` or the Authorization
header), and both are who they say from the first message on.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler
from tornado import websocket

from isomer_data.core.roles import ANONYMOUS, roles_of
from isomer_data.services.auth.guard import CLOSE_TRY_LATER, credential_of


class HubSocket(JupyterHandler, websocket.WebSocketHandler):
    client = None
    credential = None

    @property
    def max_message_size(self) -> int:
        # Above this tornado closes the connection; below it the hub answers "too_large".
        return max(4 * self.settings["isomer"].config.ws_max_message, 1 << 20)

    @property
    def ping_interval(self):
        return self.settings.get("ws_ping_interval", 30)

    @allow_unauthenticated
    async def get(self, *args, **kwargs):
        # What the login rests on (a token id, a user id), for the guard's re-checks.
        self.credential = await credential_of(self)
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    def open(self, *args, **kwargs) -> None:
        self.set_nodelay(True)
        hub = self.settings["isomer"].hub
        anonymous = roles_of(self.current_user) == (ANONYMOUS,)
        refusal = hub.guard.refusal(self.request.remote_ip or "?", anonymous)
        if refusal is not None:
            self.close(CLOSE_TRY_LATER, refusal)
            return
        self.client = hub.connect(self, self.current_user, self.credential)

    async def on_message(self, message) -> None:
        if self.client is not None:
            await self.client.receive(message)

    def on_close(self) -> None:
        if self.client is not None:
            self.settings["isomer"].hub.disconnect(self.client)
            self.client = None


handlers = [(r"/isomer/ws", HubSocket)]
