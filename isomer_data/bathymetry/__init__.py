"""Crowdsourced bathymetry: soundings from many vessels into one depth map.

The public API is small: :func:`grid_soundings` for a map in one go, :class:`DepthGrid`
to keep one up to date, :func:`reduce_soundings` for the offset/tide reduction alone.
"""

from isomer_data.bathymetry.corrections import reduce_soundings
from isomer_data.bathymetry.dataset import DepthGrid, grid_soundings
from isomer_data.bathymetry.grid import GridSpec

__all__ = ["DepthGrid", "GridSpec", "grid_soundings", "reduce_soundings"]
