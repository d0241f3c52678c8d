"""Kernels that know who started them.

A kernel started from JupyterLab gets ``ISOMER_DATA_URL`` and a fresh token of the user who
started it (``ISOMER_DATA_TOKEN``), so ``isomer_data.connect()`` inside it queries as that
user, with that user's permissions. The bootstrap administrator (server token) has no
user record; its kernels keep direct database access, as before.

A kernel runs arbitrary code as the server's operating-system user, so this is about
attributing and scoping queries, not a sandbox: that is why only scientists and admins may
start kernels at all (see the authorizer).
"""

from __future__ import annotations

import logging
import os

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from isomer_data.services.auth.identity import CURRENT_USER

log = logging.getLogger(__name__)

KERNEL_TOKEN_TTL = 7 * 24 * 3600


class IsomerKernelManager(AsyncMappingKernelManager):
    async def start_kernel(self, *args, **kwargs):
        user = CURRENT_USER.get()
        platform = None
        web_app = getattr(self.parent, "web_app", None)
        if web_app is not None:
            platform = web_app.settings.get("isomer")
        user_id = getattr(user, "user_id", "")
        if platform is not None and user_id:
            doc = await platform.users.get_by_id(user_id)
            if doc is not None:
                token, _ = await platform.users.issue_token(
                    doc, name="kernel", kind="person", ttl=KERNEL_TOKEN_TTL, password_bound=True
                )
                env = dict(kwargs.get("env") or os.environ)
                env["ISOMER_DATA_URL"] = self.parent.connection_url.rstrip("/")
                env["ISOMER_DATA_TOKEN"] = token
                env.pop("ISOMER_DATA_DB", None)
                kwargs["env"] = env
                log.info("kernel for %s queries as that user", doc["username"])
        return await super().start_kernel(*args, **kwargs)
