"""Crowdsourced bathymetry: soundings from many vessels into one depth map.

The public API is small: :func:`grid_soundings` for a map in one go, :class:`DepthGrid`
to keep one up to date, :func:`reduce_soundings` for the offset/tide reduction alone,
:func:`vessel_table` for each vessel's bias and contribution as a table.
"""

from isomer_data.bathymetry.corrections import reduce_soundings
from isomer_data.bathymetry.dataset import DepthGrid, grid_soundings
from isomer_data.bathymetry.fleet import vessel_table
from isomer_data.bathymetry.grid import GridSpec

__all__ = ["DepthGrid", "GridSpec", "grid_soundings", "reduce_soundings", "vessel_table"]
