"""Map tiles: what the platform serves to chart plotters and to its own map panel.

Pure tile making and reading, no HTTP and no database (the chart service,
``isomer_data.services.charts``, is the edge around it):

* :mod:`~isomer_data.tiles.grid`: the web-mercator XYZ grid and its bounds checks;
* :mod:`~isomer_data.tiles.packs`: MBTiles and PMTiles chart packs, recognised by their
  content and read tile by tile;
* :mod:`~isomer_data.tiles.vector`: GeoJSON features (S-57 cells) into Mapbox Vector Tiles;
* :mod:`~isomer_data.tiles.raster`: GeoTIFF into PNG tiles;
* :mod:`~isomer_data.tiles.basemap`: the offline world basemap (Natural Earth land from the
  npm registry) built into a PMTiles pack at setup.
"""
