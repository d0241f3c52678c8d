"""GeoTIFF (and BAG) rasters into 256-pixel PNG tiles of the web-mercator grid.

Each tile is a GDAL warped view of the file onto exactly that tile (``WarpedVRT`` with the
tile's transform), so only the source blocks under the tile are read, whatever the
file's size. What the pixels become:

* three or four 8-bit bands (a scanned or rendered raster chart): the colours as they are;
* one 8-bit band with a colour table (a paletted chart): the table's colours;
* anything else, one band of heights or depths (bathymetry, BAG): a fixed depth ramp
  (:data:`DEPTH_RAMP`, light in the shallows to dark in the deep, land in sand), so the same
  depth is the same colour in every chart and tile.

Nodata and everything outside the raster is transparent. PNG encoding is Pillow's.
"""

from __future__ import annotations

import io

import numpy as np

from isomer_data.tiles.grid import mercator_bounds

TILE_SIZE = 256

# (elevation in metres, RGB): depths are negative; linear in between, clamped at the ends.
DEPTH_RAMP = (
    (-200.0, (8, 48, 107)),
    (-50.0, (33, 113, 181)),
    (-20.0, (66, 146, 198)),
    (-10.0, (107, 174, 214)),
    (-5.0, (158, 202, 225)),
    (0.0, (222, 235, 247)),
    (0.001, (233, 220, 180)),
    (100.0, (196, 170, 120)),
)


def ramp(values: np.ndarray) -> np.ndarray:
    """Elevations (metres, any shape) → uint8 RGB (shape + (3,)) along :data:`DEPTH_RAMP`."""
    stops = np.array([s for s, _ in DEPTH_RAMP])
    colours = np.array([c for _, c in DEPTH_RAMP], dtype=float)
    flat = np.asarray(values, dtype=float).ravel()
    rgb = np.stack([np.interp(flat, stops, colours[:, i]) for i in range(3)], axis=-1)
    return np.rint(rgb).astype(np.uint8).reshape(*np.shape(values), 3)


def render_tile(path: str, z: int, x: int, y: int, band: int = 1) -> bytes | None:
    """PNG bytes of tile ``z/x/y`` of the raster at ``path``; None where it has no pixel."""
    import rasterio
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT

    from isomer_data.store.datasets import RASTER_READ_OPTIONS

    west, south, east, north = mercator_bounds(z, x, y)
    transform = from_bounds(west, south, east, north, TILE_SIZE, TILE_SIZE)
    with rasterio.Env(**RASTER_READ_OPTIONS), rasterio.open(path) as src:
        colour = (
            src.count in (3, 4)
            and all(dtype == "uint8" for dtype in src.dtypes)
            and src.colorinterp[:3] == (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
        )
        palette = None
        if not colour and src.dtypes[band - 1] == "uint8":
            try:
                palette = src.colormap(band)
            except ValueError:
                palette = None
        with WarpedVRT(
            src,
            crs="EPSG:3857",
            transform=transform,
            width=TILE_SIZE,
            height=TILE_SIZE,
            resampling=Resampling.nearest,
        ) as vrt:
            mask = vrt.dataset_mask() > 0
            if not mask.any():
                return None
            if colour:
                data = vrt.read([1, 2, 3])
                rgb = np.moveaxis(data, 0, -1)
                if src.count == 4:
                    mask &= vrt.read(4) > 0
            else:
                data = vrt.read(band, masked=True)
                mask &= ~np.ma.getmaskarray(data)
                values = np.ma.getdata(data)
                if palette is not None:
                    table = np.zeros((256, 4), dtype=np.uint8)
                    for index, rgba in palette.items():
                        table[index] = rgba
                    rgb = table[values][..., :3]
                    mask &= table[values][..., 3] > 0
                else:
                    finite = np.isfinite(values)
                    mask &= finite
                    rgb = ramp(np.where(finite, values, 0.0))
    alpha = np.where(mask, 255, 0).astype(np.uint8)
    return encode_png(np.dstack([rgb.astype(np.uint8), alpha]))


def encode_png(rgba: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()
