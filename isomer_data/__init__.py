"""Isomer Data: an open ocean data platform."""

__version__ = "0.1.0"

__all__ = ["__version__", "connect"]


def connect(*args, **kwargs):
    """Connect to the platform's data; see :func:`isomer_data.client.connect`."""
    from isomer_data.client import connect as _connect

    return _connect(*args, **kwargs)


def _jupyter_server_extension_points() -> list[dict]:
    # Imported lazily: importing isomer_data must stay cheap for notebooks and the CLI.
    from isomer_data.server.extension import IsomerDataApp

    return [{"module": "isomer_data.server.extension", "app": IsomerDataApp}]
