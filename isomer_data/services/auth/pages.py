"""Pages Jupyter renders never carry the server token.

The server token is the bootstrap administrator's login. Two places hand it to whoever is
logged in: JupyterLab's page config (``LabApp`` copies ``identity_provider.token`` into
``jupyter-config-data``; JupyterLab would then call the API with it, i.e. as admin) and
jupyter_server's ``page.html`` (``data-jupyter-api-token`` on error and logout pages).
JupyterHub's single-user servers blank the former for the same reason. Browsers here are
logged in by their own cookie, so the pages need no token at all.
"""

from __future__ import annotations

import logging
import re

from jinja2 import ChoiceLoader, DictLoader

log = logging.getLogger(__name__)

_PARAMS = re.compile(r"{%\s*block params\s*%}.*?{%\s*endblock params\s*%}", re.S)


def page_config_without_token(previous=None):
    """A ``page_config_hook`` for JupyterLab's handlers that drops the token (chaining ``previous``)."""

    def hook(handler, page_config: dict) -> dict:
        if previous is not None:
            page_config = previous(handler, page_config)
        return {**page_config, "token": ""}

    return hook


def strip_token_from_templates(env) -> bool:
    """Serve jupyter_server's ``page.html`` without ``data-jupyter-api-token``.

    Returns whether the template was found and changed (the block is upstream's; if a future
    jupyter_server renames it, the start-up log says so and the regression test fails).
    """
    try:
        source = env.loader.get_source(env, "page.html")[0]
    except Exception:  # no such template: nothing renders it, nothing leaks
        return False
    patched = _PARAMS.sub("{% block params %}{% endblock params %}", source, count=1)
    if "api-token" in patched:
        log.error("page.html still names the server token; error pages may show it")
        return False
    env.loader = ChoiceLoader([DictLoader({"page.html": patched}), env.loader])
    if env.cache is not None:
        env.cache.clear()
    return True


def install(serverapp) -> None:
    settings = serverapp.web_app.settings
    settings["page_config_hook"] = page_config_without_token(settings.get("page_config_hook"))
    env = settings.get("jinja2_env")
    if env is not None:
        strip_token_from_templates(env)
