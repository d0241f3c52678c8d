"""Isomer Data: an open ocean data platform."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict]:
    # Imported lazily: importing isomer_data must stay cheap for notebooks and the CLI.
    from isomer_data.server.extension import IsomerDataApp

    return [{"module": "isomer_data.server.extension", "app": IsomerDataApp}]
