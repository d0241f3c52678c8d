"""Which web page sent a request: the checks for state-changing requests from browsers.

Jupyter's ``check_origin`` waves through anything carrying a token, and its XSRF check
wants the ``_xsrf`` cookie echoed in a header, which apps written for Signal K server
(Freeboard-SK, KIP) never send. A browser always names the page's origin in ``Origin``
on a POST, PUT, PATCH or DELETE and no page can forge it, so for those requests a
matching ``Origin`` is proof enough that the login cookie is used by this origin's own
pages, and a foreign one is refused whatever the credential.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from tornado import web

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(handler) -> bool:
    """No ``Origin`` (a script, not a browser page) passes; a browser page of another site
    passes only if the server's ``allow_origin``/``allow_origin_pat`` names it."""
    origin = handler.request.headers.get("Origin")
    if origin is None:
        return True
    host = (handler.request.headers.get("Host") or "").lower()
    if urlparse(origin.lower()).netloc == host:
        return True
    if handler.allow_origin:
        return handler.allow_origin in ("*", origin)
    if handler.allow_origin_pat:
        return bool(re.match(handler.allow_origin_pat, origin))
    return False


class SameOriginWrites:
    """Mixin (before ``JupyterHandler``) for endpoints that browser apps write to with the
    login cookie and no XSRF token: a state-changing request with this origin's ``Origin``
    needs no token; one from another origin is refused (403), token or cookie; one with no
    ``Origin`` at all gets Jupyter's usual check (XSRF token for cookies, none for tokens).
    """

    def check_xsrf_cookie(self):
        if not hasattr(self, "_jupyter_current_user"):
            return None  # too early: Jupyter checks again once the user is known
        if self.request.method not in SAFE_METHODS and "Origin" in self.request.headers:
            if not same_origin(self):
                raise web.HTTPError(403, "cross-origin request refused")
            return None
        return super().check_xsrf_cookie()
