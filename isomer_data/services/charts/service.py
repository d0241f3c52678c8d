"""Puts the chart manager on the platform (``platform.charts``)."""

from __future__ import annotations

from isomer_data.services.charts.manager import ChartManager


def setup(platform, serverapp) -> None:
    platform.charts = ChartManager(platform)
    platform.on_close(platform.charts.close)
