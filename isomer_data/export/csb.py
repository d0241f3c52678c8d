"""Crowdsourced bathymetry for the IHO Data Centre for Digital Bathymetry (IHO B-12).

Two layouts of the same soundings:

- **CSB GeoJSON** (convention "GeoJSON CSB 3.1", what ``csbschema validate`` checks): one
  file per vessel, trusted-node and platform metadata in the collection's ``properties``,
  one point feature per sounding with ``depth`` (m, positive down, from the stated vertical
  reference) and ``time`` (RFC 3339 UTC ending in ``Z``);
- **DCDB CSV**: ``UNIQUE_ID,FILE_UUID,LON,LAT,DEPTH,TIME,PLATFORM_NAME,PROVIDER``, as the
  DCDB publishes them.

B-12 prefers raw depths with the offsets documented over reduced depths, so the default
reference is the transducer (the sounder's own reading, DBT) with the transducer's depth
below the waterline given as the sounder's ``draft``. With ``reference="waterline"`` the
transducer offsets are applied (the DPT offset the sounder reported, else the vessel
record's ``transducer_depth``), soundings whose offset is unknown are left out and counted,
and the processing lineage records the reduction.

A vessel's ``uniqueVesselID`` (``NODE-<uuid>``) is issued once and kept in the
``csb_vessels`` collection: B-12 wants it constant for the life of the vessel.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from isomer_data import __version__

CONVENTION = "GeoJSON CSB 3.1"
DCDB_COLUMNS = (
    "UNIQUE_ID",
    "FILE_UUID",
    "LON",
    "LAT",
    "DEPTH",
    "TIME",
    "PLATFORM_NAME",
    "PROVIDER",
)
IDS_COLLECTION = "csb_vessels"
PLACEHOLDER_PROVIDER = "Isomer Data user (set csb_provider_name)"
PLACEHOLDER_EMAIL = "csb-provider-not-set@example.org"
REFERENCES = {"transducer": "Transducer", "waterline": "Waterline"}


@dataclass(frozen=True)
class TrustedNode:
    """Who forwards the data: from the instance configuration (``csb_*`` settings)."""

    name: str = ""
    email: str = ""
    node_id: str = "ISOMER"
    license: str = "CC0 1.0"

    @property
    def placeholder(self) -> bool:
        return not (self.name and self.email)

    @classmethod
    def from_config(cls, config) -> TrustedNode:
        return cls(
            config.csb_provider_name,
            config.csb_provider_email,
            config.csb_node_id,
            config.csb_license,
        )


def unique_vessel_id(db, vessel: str, node_id: str) -> str:
    """The vessel's B-12 id, issued at its first export and the same ever after."""
    fresh = f"{node_id}-{uuid.uuid4()}"
    doc = db[IDS_COLLECTION].find_one_and_update(
        {"vessel": vessel, "node": node_id},
        {"$setOnInsert": {"vessel": vessel, "node": node_id, "unique_id": fresh}},
        upsert=True,
        return_document=True,
    )
    return doc["unique_id"]


def rfc3339(times: pd.Series) -> list[str]:
    """UTC times to the millisecond, ending in ``Z``."""
    stamps = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return [t[:23] + "Z" for t in stamps.strftime("%Y-%m-%dT%H:%M:%S.%f")]


def select_depths(
    soundings: pd.DataFrame, vessel_meta: Mapping | None, reference: str
) -> tuple[pd.DataFrame, int]:
    """The soundings' depths from ``reference``; also how many had to be left out."""
    from isomer_data.bathymetry.corrections import reduce_soundings

    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {sorted(REFERENCES)}")
    if reference == "transducer":
        out = soundings.assign(depth=soundings["depth_below_transducer"].astype(float))
        keep = np.isfinite(out["depth"].to_numpy())
    else:
        vessels = {v: vessel_meta for v in soundings["vessel"].unique()} if vessel_meta else {}
        out = reduce_soundings(soundings, vessels)
        keep = out["offset_applied"].to_numpy() & np.isfinite(out["depth"].to_numpy())
    keep &= out["depth"].to_numpy() >= 0
    return out[keep], int((~keep).sum())


def _platform(vessel: str, meta: Mapping, unique_id: str, reference: str) -> dict:
    platform: dict = {
        "uniqueID": unique_id,
        "type": str(meta.get("type") or "Private vessel"),
        "name": str(meta.get("name") or vessel),
        "dataProcessed": reference == "waterline",
        "soundSpeedDocumented": False,
        "positionOffsetsDocumented": False,
    }
    length = meta.get("length")
    if isinstance(length, int | float) and math.isfinite(length) and length >= 0.5:
        platform["length"] = max(1, round(length))
    mmsi = str(meta.get("mmsi") or "")
    if not mmsi and vessel.startswith("urn:mrn:imo:mmsi:"):
        mmsi = vessel.rsplit(":", 1)[1]
    if len(mmsi) == 9 and mmsi.isdigit():
        platform["IDType"], platform["IDNumber"] = "MMSI", mmsi
    sounder: dict = {"type": "Sounder", "make": "unknown", "model": "unknown"}
    offset = meta.get("transducer_depth")
    if isinstance(offset, int | float) and math.isfinite(offset):
        # NED from the position reference point; the offset is all that is known: down.
        sounder["position"] = [0.0, 0.0, float(offset)]
        sounder["draft"] = float(offset)
    else:
        sounder["position"] = [0.0, 0.0, 0.0]
    platform["sensors"] = [sounder]
    return platform


def csb_metadata(
    node: TrustedNode,
    vessel: str,
    meta: Mapping,
    unique_id: str,
    reference: str,
    created: datetime | None = None,
) -> dict:
    """The FeatureCollection's ``properties``: trusted node, platform, processing."""
    created = created or datetime.now(UTC)
    properties: dict = {
        "trustedNode": {
            "providerOrganizationName": node.name or PLACEHOLDER_PROVIDER,
            "providerEmail": node.email or PLACEHOLDER_EMAIL,
            "uniqueVesselID": unique_id,
            "convention": CONVENTION,
            "dataLicense": node.license,
            "providerLogger": "Isomer Data",
            "providerLoggerVersion": __version__,
            "navigationCRS": "EPSG:4326",
            "verticalReferenceOfDepth": REFERENCES[reference],
            "vesselPositionReferencePoint": "GNSS",
        },
        "platform": _platform(vessel, meta, unique_id, reference),
    }
    if reference == "waterline":
        properties["processing"] = [
            {
                "type": "Algorithm",
                "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z",
                "name": "transducer offset applied",
                "source": "Isomer Data",
                "version": __version__,
                "comment": "depth below the waterline: the sounder's DPT offset where it "
                "reported one, else the vessel record's transducer depth",
            }
        ]
    return properties


def write_csb_geojson(
    path: str | Path, properties: dict, depths: pd.DataFrame, precision: int = 2
) -> int:
    """Write the collection one feature at a time (a voyage never sits in memory as JSON)."""
    times = rfc3339(depths["time"])
    lon = depths["longitude"].to_numpy(dtype=float)
    lat = depths["latitude"].to_numpy(dtype=float)
    depth = depths["depth"].to_numpy(dtype=float)
    with open(path, "w", encoding="utf-8") as out:
        head = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
            "properties": properties,
        }
        out.write(json.dumps(head)[:-1] + ', "features": [')
        for i in range(len(depth)):
            feature = {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(lon[i]), 7), round(float(lat[i]), 7)],
                },
                "properties": {"depth": round(float(depth[i]), precision), "time": times[i]},
            }
            out.write(("\n" if i == 0 else ",\n") + json.dumps(feature))
        out.write("\n]}\n")
    return len(depth)


def write_dcdb_csv(
    path: str | Path, depths: pd.DataFrame, unique_id: str, platform_name: str, provider: str
) -> int:
    """The DCDB's CSV layout; one FILE_UUID per written file."""
    file_uuid = str(uuid.uuid4())
    times = rfc3339(depths["time"])
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DCDB_COLUMNS)
        for lon, lat, depth, time in zip(
            depths["longitude"], depths["latitude"], depths["depth"], times, strict=True
        ):
            writer.writerow(
                [
                    unique_id,
                    file_uuid,
                    f"{lon:.7f}",
                    f"{lat:.7f}",
                    f"{depth:.2f}",
                    time,
                    platform_name,
                    provider,
                ]
            )
    return len(depths)
