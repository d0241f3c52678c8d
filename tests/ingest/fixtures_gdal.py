"""Small real chart and raster files, written by GDAL itself, for the ingest tests.

Nothing here is a mock: every file is written by a GDAL driver and read back by the code
under test through the same drivers a real file would go through.

S-57 is written through GDAL's S57 *writer* in pyogrio's own libgdal (the wheel with the
S57 driver). pyogrio's ``write_dataframe`` cannot do it: the S57 dataset refuses
``CreateLayer()`` (its layers are pre-made, one per object class) and refuses update mode,
so a cell cannot be built one layer per call. We therefore drive the OGR C API of that
same library through ctypes for one dataset session: vector primitives (isolated nodes,
connected nodes, edges) first, then feature records that point at them, which is how an
S-57 cell is built. GDAL's reader then assembles the geometries from that topology.
"""

from __future__ import annotations

import ctypes
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
import shapely
from affine import Affine

# S-57 record names (RCNM) of the vector primitives.
RCNM_VI, RCNM_VC, RCNM_VE = 110, 120, 130
# FRID.PRIM: point, line, area.
PRIM = {"Point": 1, "MultiPoint": 1, "LineString": 2, "Polygon": 3}
AGEN = 540  # producing agency code written in the cell header and FOIDs


@dataclass
class S57Feature:
    layer: str
    geometry: shapely.Geometry
    attributes: dict = field(default_factory=dict)


def _gdal() -> ctypes.CDLL:
    import pyogrio  # configures GDAL_DATA (the s57*.csv tables) in its libgdal

    libs = glob.glob(
        os.path.join(os.path.dirname(pyogrio.__file__), "..", "pyogrio.libs", "*gdal*")
    )
    lib = ctypes.CDLL(libs[0])
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, restype, argtypes in [
        ("GDALGetDriverByName", vp, [cp]),
        ("GDALCreate", vp, [vp, cp, ci, ci, ci, ci, ctypes.POINTER(cp)]),
        ("GDALDatasetGetLayerByName", vp, [vp, cp]),
        ("GDALClose", None, [vp]),
        ("OGR_L_GetLayerDefn", vp, [vp]),
        ("OGR_L_CreateFeature", ci, [vp, vp]),
        ("OGR_F_Create", vp, [vp]),
        ("OGR_F_Destroy", None, [vp]),
        ("OGR_F_GetFieldIndex", ci, [vp, cp]),
        ("OGR_F_SetFieldInteger", None, [vp, ci, ci]),
        ("OGR_F_SetFieldDouble", None, [vp, ci, ctypes.c_double]),
        ("OGR_F_SetFieldString", None, [vp, ci, cp]),
        ("OGR_F_SetFieldIntegerList", None, [vp, ci, ci, ctypes.POINTER(ci)]),
        ("OGR_F_SetGeometryDirectly", ci, [vp, vp]),
        ("OGR_G_CreateFromWkt", ci, [ctypes.POINTER(cp), vp, ctypes.POINTER(vp)]),
    ]:
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class _S57Writer:
    def __init__(self, path: Path, options: dict[str, str]):
        self.lib = _gdal()
        driver = self.lib.GDALGetDriverByName(b"S57")
        opts = [f"{k}={v}".encode() for k, v in options.items()]
        argv = (ctypes.c_char_p * (len(opts) + 1))(*opts, None)
        self.ds = self.lib.GDALCreate(driver, str(path).encode(), 0, 0, 0, 0, argv)
        if not self.ds:
            raise RuntimeError(f"GDAL's S57 driver could not create {path}")
        self.next_rcid = {RCNM_VI: 1, RCNM_VC: 1, RCNM_VE: 1, "feature": 1}

    def close(self) -> None:
        self.lib.GDALClose(self.ds)

    def write(self, layer: str, values: dict, wkt: str | None = None) -> None:
        lib = self.lib
        handle = lib.GDALDatasetGetLayerByName(self.ds, layer.encode())
        if not handle:
            raise ValueError(f"the S57 driver has no layer {layer!r}")
        feature = lib.OGR_F_Create(lib.OGR_L_GetLayerDefn(handle))
        try:
            for key, value in values.items():
                index = lib.OGR_F_GetFieldIndex(feature, key.encode())
                if index < 0:
                    raise ValueError(f"{layer} has no attribute {key!r}")
                if isinstance(value, list):
                    array = (ctypes.c_int * len(value))(*value)
                    lib.OGR_F_SetFieldIntegerList(feature, index, len(value), array)
                elif isinstance(value, int):
                    lib.OGR_F_SetFieldInteger(feature, index, value)
                elif isinstance(value, float):
                    lib.OGR_F_SetFieldDouble(feature, index, value)
                else:
                    lib.OGR_F_SetFieldString(feature, index, str(value).encode())
            if wkt is not None:
                geom = ctypes.c_void_p()
                text = ctypes.c_char_p(wkt.encode())
                if lib.OGR_G_CreateFromWkt(ctypes.byref(text), None, ctypes.byref(geom)):
                    raise ValueError(f"bad WKT {wkt!r}")
                lib.OGR_F_SetGeometryDirectly(feature, geom)
            if lib.OGR_L_CreateFeature(handle, feature) != 0:
                raise RuntimeError(f"GDAL refused a {layer} record")
        finally:
            lib.OGR_F_Destroy(feature)

    def _rcid(self, kind) -> int:
        rcid = self.next_rcid[kind]
        self.next_rcid[kind] += 1
        return rcid

    def _edge(self, coords: list[tuple[float, float]]) -> int:
        """A connected node at each end and an edge holding the vertices in between."""
        start = self._rcid(RCNM_VC)
        self.write("ConnectedNode", {"RCNM": RCNM_VC, "RCID": start}, _point_wkt(coords[0]))
        end = start
        if coords[-1] != coords[0]:
            end = self._rcid(RCNM_VC)
            self.write("ConnectedNode", {"RCNM": RCNM_VC, "RCID": end}, _point_wkt(coords[-1]))
        rcid = self._rcid(RCNM_VE)
        ends = {}
        for i, node in enumerate((start, end)):
            ends |= {
                f"NAME_RCNM_{i}": RCNM_VC,
                f"NAME_RCID_{i}": node,
                f"ORNT_{i}": 255,
                f"USAG_{i}": 255,
                f"TOPI_{i}": i + 1,
                f"MASK_{i}": 255,
            }
        inner = ", ".join(f"{x!r} {y!r}" for x, y in coords[1:-1])
        self.write("Edge", {"RCNM": RCNM_VE, "RCID": rcid, **ends}, f"LINESTRING ({inner})")
        return rcid

    def feature(self, item: S57Feature) -> None:
        geom = item.geometry
        kind = geom.geom_type
        if kind in ("Point", "MultiPoint"):
            rcnm, rcid = RCNM_VI, self._rcid(RCNM_VI)
            self.write("IsolatedNode", {"RCNM": RCNM_VI, "RCID": rcid}, geom.wkt)
            usage = 255
        elif kind == "LineString":
            rcnm, rcid, usage = RCNM_VE, self._edge(list(geom.coords)), 255
        elif kind == "Polygon":
            rcnm, rcid, usage = RCNM_VE, self._edge(list(geom.exterior.coords)), 1
        else:
            raise ValueError(f"the fixture writer does not build {kind}")
        number = self._rcid("feature")
        self.write(
            item.layer,
            {
                "RCID": number,
                "PRIM": PRIM[kind],
                "GRUP": 1 if item.layer in ("DEPARE", "LNDARE") else 2,
                "AGEN": AGEN,
                "FIDN": number,
                "FIDS": 1,
                **item.attributes,
                "NAME_RCNM": [rcnm],
                "NAME_RCID": [rcid],
                "ORNT": [1 if rcnm == RCNM_VE else 255],
                "USAG": [usage],
                "MASK": [255],
            },
        )


def from_origin(west: float, north: float, dx: float, dy: float) -> Affine:
    return Affine(dx, 0.0, west, 0.0, -dy, north)


def _point_wkt(xy) -> str:
    return f"POINT ({xy[0]!r} {xy[1]!r})"


ISLAND = shapely.Polygon([(-1.2, 50.1), (-1.15, 50.1), (-1.15, 50.15), (-1.2, 50.15)])
SOUNDINGS = [(-1.05, 50.05, 4.2), (-1.25, 50.22, 7.5), (-1.28, 50.05, 12.3)]


def sample_features() -> list[S57Feature]:
    """One small cell with every layer the chart ingest takes, and known values."""
    return [
        S57Feature(
            "DEPARE",
            shapely.Polygon([(-1.3, 50.0), (-1.0, 50.0), (-1.0, 50.3), (-1.3, 50.3)]),
            {"DRVAL1": 0.0, "DRVAL2": 5.0},
        ),
        S57Feature(
            "DEPARE",
            shapely.Polygon([(-1.3, 50.3), (-1.0, 50.3), (-1.0, 50.4), (-1.3, 50.4)]),
            {"DRVAL1": 5.0, "DRVAL2": 10.5},
        ),
        S57Feature(
            "DEPCNT",
            shapely.LineString([(-1.3, 50.3), (-1.15, 50.31), (-1.0, 50.3)]),
            {"VALDCO": 5.0},
        ),
        S57Feature("SOUNDG", shapely.MultiPoint(SOUNDINGS)),
        S57Feature("LNDARE", ISLAND, {"OBJNAM": "Test Island"}),
        S57Feature("COALNE", shapely.LineString(ISLAND.exterior.coords)),
        S57Feature("BOYLAT", shapely.Point(-1.1, 50.2), {"CATLAM": 1, "COLOUR": "3,1"}),
        S57Feature("BOYCAR", shapely.Point(-1.12, 50.25), {"CATCAM": 1, "OBJNAM": "N Card"}),
        S57Feature("LIGHTS", shapely.Point(-1.16, 50.16), {"VALNMR": 10.0, "HEIGHT": 12.0}),
        S57Feature("WRECKS", shapely.Point(-1.05, 50.12), {"VALSOU": 3.4, "CATWRK": 2}),
        S57Feature("OBSTRN", shapely.Point(-1.07, 50.27), {"VALSOU": 1.8}),
    ]


def write_s57_cell(
    path: str | Path,
    features: list[S57Feature] | None = None,
    *,
    edition: int = 3,
    update: int = 0,
    issue_date: str = "20240115",
) -> Path:
    """Write an S-57 base cell with GDAL's S57 driver; the file name is the cell name."""
    path = Path(path)
    writer = _S57Writer(
        path,
        {
            "S57_EDTN": str(edition),
            "S57_UPDN": str(update),
            "S57_ISDT": issue_date,
            "S57_UADT": issue_date,
            "S57_AGEN": str(AGEN),
        },
    )
    try:
        for item in sample_features() if features is None else features:
            writer.feature(item)
    finally:
        writer.close()
    return path


# --- rasters ----------------------------------------------------------------------------


def bathymetry() -> np.ndarray:
    """A 6×8 grid of elevations in metres, negative below the sea, 0.25 m steps."""
    return (-0.25 * np.arange(48, dtype="float32")).reshape(6, 8) - 1.0


def write_geotiff(path: str | Path) -> Path:
    """Geographic bathymetry, 0.01° pixels, nodata −9999 in one corner."""
    data = bathymetry()
    data[0, 0] = -9999.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=8,
        height=6,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(-1.3, 50.4, 0.01, 0.01),
        nodata=-9999.0,
    ) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, "elevation")
        dst.update_tags(1, units="m")
    return Path(path)


def write_bag(path: str | Path, tmp_dir: str | Path) -> Path:
    """A BAG written by GDAL's BAG driver (CreateCopy from a GeoTIFF in UTM 30N)."""
    src = Path(tmp_dir) / "bag-source.tif"
    with rasterio.open(
        src,
        "w",
        driver="GTiff",
        width=8,
        height=6,
        count=1,
        dtype="float32",
        crs="EPSG:32630",
        transform=from_origin(500000.0, 5600000.0, 10.0, 10.0),
        nodata=1000000.0,
    ) as dst:
        dst.write(bathymetry(), 1)
    rasterio.shutil.copy(src, path, driver="BAG")
    return Path(path)


GRIB_REF_TIME = 1704067200  # 2024-01-01T00:00:00Z
GRIB_IDS = (
    "CENTER=7(US-NCEP) SUBCENTER=0 MASTER_TABLE=2 SIGNF_REF_TIME=1(Start_of_Forecast) "
    "REF_TIME=2024-01-01T00:00:00Z PROD_STATUS=0(Operational) TYPE=1(Forecast)"
)
# Product definition template 4.0 values: category, number, process ×3, cutoff h/min,
# time unit (1 = hour), forecast time, first surface type/scale/value, second surface.
GRIB_PRODUCTS = {
    "u10": "2 2 2 0 81 0 0 1 {h} 103 0 10 255 0 0",
    "v10": "2 3 2 0 81 0 0 1 {h} 103 0 10 255 0 0",
    "msl": "3 1 2 0 81 0 0 1 {h} 101 0 0 255 0 0",
}
GRIB_STEPS = (0, 6)


def grib_values(name: str, step: int, shape: tuple[int, int]) -> np.ndarray:
    base = {"u10": 1.5, "v10": -2.25, "msl": 101325.0}[name]
    return (base + step + 0.5 * np.arange(shape[0] * shape[1])).reshape(shape).astype("float32")


def write_grib(path: str | Path, tmp_dir: str | Path, *, west: float, width: int, dx: float):
    """GRIB2 with u10/v10/msl at two forecast steps, written by GDAL's GRIB driver.

    ``west`` is the western edge in the file's own longitudes: 0 with a 360° width gives
    the 0–360 global grid most producers publish.
    """
    shape = (4, width)
    bands = [(name, step) for step in GRIB_STEPS for name in GRIB_PRODUCTS]
    src = Path(tmp_dir) / "grib-source.tif"
    with rasterio.open(
        src,
        "w",
        driver="GTiff",
        width=width,
        height=4,
        count=len(bands),
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(west, 60.0, dx, 5.0),
    ) as dst:
        for i, (name, step) in enumerate(bands, 1):
            dst.write(grib_values(name, step, shape), i)
    options = {"DATA_ENCODING": "IEEE_FLOATING_POINT", "IDS": GRIB_IDS}
    for i, (name, step) in enumerate(bands, 1):
        discipline_template = GRIB_PRODUCTS[name].format(h=step)
        options[f"BAND_{i}_PDS_PDTN"] = 0
        options[f"BAND_{i}_PDS_TEMPLATE_ASSEMBLED_VALUES"] = discipline_template
    rasterio.shutil.copy(src, path, driver="GRIB", **options)
    return Path(path), bands


def write_s57_update(
    path: str | Path, features: list[S57Feature], *, edition: int = 3, update: int = 1
) -> Path:
    """Write an update file (``CELL.001``…) whose records insert ``features``.

    Record ids start at 1000 × ``update`` so they cannot collide with the base cell's.
    """
    path = Path(path)
    writer = _S57Writer(
        path,
        {
            "S57_EXPP": "2",  # revision
            "S57_EDTN": str(edition),
            "S57_UPDN": str(update),
            "S57_ISDT": "20240115",
            "S57_UADT": "20240301",
            "S57_AGEN": str(AGEN),
        },
    )
    writer.next_rcid = dict.fromkeys(writer.next_rcid, 1000 * update)
    try:
        for item in features:
            writer.feature(item)
    finally:
        writer.close()
    return path
