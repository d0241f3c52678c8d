"""HTTP handlers answer a missing database with the numbered error, never an HTML 500.

Mixed into handlers whose requests need the database (the logins, logout): when the
database is away, pymongo raises out of the handler and tornado would render Jupyter's
HTML error page with status 500. Here such an exception becomes 503 with the same JSON
the hub and the REST object API send: ``{"error": {"code": "database_unavailable",
"message": "50020: …"}}`` (and ``message`` at the top for Signal K clients). Pages
(``_render``, the login form) show the message in the page instead.
"""

from __future__ import annotations

import json

from pymongo.errors import PyMongoError


class DatabaseErrorsMixin:
    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(exc, PyMongoError):
            super().write_error(status_code, **kwargs)
            return
        from isomer_data.core.errors import database_error

        error = database_error(exc)
        self.set_status(503)
        render = getattr(self, "_render", None)
        if render is not None:
            render({"error": f"The database is not available ({error.message})"})
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": error.to_json(), "message": error.message}))
