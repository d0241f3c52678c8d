"""The two records every ingest path produces; storage, the event hub and bathymetry import them.

An observation is one Signal K v1 path with an SI value at one instant, so any source (NMEA
0183, AIS, later NMEA 2000) lands in the same shape and the database needs one schema.
A sounding is a depth already paired with the position it was measured at, because that
pairing needs the stream order and cannot be redone cheaply from stored rows.
"""

from __future__ import annotations

from dataclasses import dataclass

SELF = "self"


def mmsi_urn(mmsi: int | str) -> str:
    """The Signal K context of another vessel, so AIS targets and own data share one key space."""
    return f"urn:mrn:imo:mmsi:{mmsi}"


@dataclass(slots=True)
class Observation:
    """One value at one path for one vessel.

    Attributes
    ----------
    time : float
        POSIX seconds, UTC.
    vessel : str
        ``"self"`` or ``"urn:mrn:imo:mmsi:NNN"``.
    path : str
        Signal K v1 path, e.g. ``"environment.depth.belowTransducer"``.
    value : float | str | dict
        SI units (m, m/s, rad, K, Pa); positions are ``{"latitude": deg, "longitude": deg}``.
    source : str
        Signal K style source label, e.g. ``"nmea0183.SD"``.
    time_source : str or None
        The rule that dated ``time`` (``"gps"``, ``"given"``, ``"file-date"``, ``"mtime"``,
        ``"ingest-time"``, ``"receive-time"``, ``"logger"``; see
        :data:`isomer_data.ingest.clock.TIME_SOURCES`), ``None`` when not known.
    """

    time: float
    vessel: str
    path: str
    value: float | str | dict
    source: str
    time_source: str | None = None


@dataclass(slots=True)
class Sounding:
    """A depth with the position fix nearest to it in time.

    ``depth_below_transducer`` is the raw measurement; the other depths are only set when
    the instrument sent the transducer offset (DPT), since guessing a draft here would hide
    an unapplied offset from the bathymetry pipeline. ``transducer_offset`` keeps the NMEA
    sign: positive is transducer to waterline, negative is transducer to keel.
    """

    time: float
    longitude: float
    latitude: float
    depth_below_transducer: float
    depth_below_surface: float | None
    depth_below_keel: float | None
    transducer_offset: float | None
    vessel: str
    source: str
