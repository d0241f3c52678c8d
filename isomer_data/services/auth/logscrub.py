"""Secrets never reach the logs.

Jupyter's access log hides ``?token=…`` (``jupyter_server.log._scrub_uri``), but tornado's
own warnings name the full URI: every refused request with a reason (``403 POST
/api/kernels?token=iso_…: User is not authorized…``) would write a working token to the
log. This filter rewrites any such record on the loggers requests are logged to: URL
parameters whose name contains ``token``, ``auth``, ``key``, ``password`` or ``secret``,
``Authorization`` header values, platform tokens (``iso_…``) wherever they stand, and the
server token itself.
"""

from __future__ import annotations

import logging
import re

SECRET = "[secret]"
_PARAM = re.compile(r"(?i)([?&;][^=&\s]*(?:token|auth|key|password|secret)[^=&\s]*=)[^&\s'\"]+")
_HEADER = re.compile(r"(?i)((?:authorization|cookie)['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+")
_PLATFORM_TOKEN = re.compile(r"iso_[A-Za-z0-9_\-]{8,}")

# Where request URIs are logged: tornado's access, application and general loggers, and
# the server's own log (Jupyter handlers log to it).
LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def scrub(text: str, extra: tuple[str, ...] = ()) -> str:
    text = _PARAM.sub(r"\1" + SECRET, text)
    text = _HEADER.sub(r"\1" + SECRET, text)
    text = _PLATFORM_TOKEN.sub("iso_" + SECRET, text)
    for value in extra:
        if value:
            text = text.replace(value, SECRET)
    return text


class SecretFilter(logging.Filter):
    def __init__(self, extra=()):
        super().__init__()
        self.extra = extra  # callable returning values to hide (the server token)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's to report
            return True
        clean = scrub(message, tuple(self.extra()) if callable(self.extra) else self.extra)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


def install(serverapp) -> SecretFilter:
    secret_filter = SecretFilter(lambda: (serverapp.identity_provider.token,))
    for name in (*LOGGERS, serverapp.log.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(secret_filter)
    if not any(isinstance(f, SecretFilter) for f in serverapp.log.filters):
        serverapp.log.addFilter(secret_filter)
    return secret_filter
