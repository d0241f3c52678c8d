"""Files researchers can open anywhere: NetCDF (CF/ACDD), GeoTIFF and COG, GeoPackage,
GeoJSON, CSV and Parquet. Each writer takes the plain object the query API returns."""

from isomer_data.export.geotiff import to_geotiff
from isomer_data.export.netcdf import to_netcdf
from isomer_data.export.vector import to_geojson, to_geopackage

__all__ = ["to_geojson", "to_geopackage", "to_geotiff", "to_netcdf"]
