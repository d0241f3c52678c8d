"""A generated NMEA 0183 voyage over a seabed whose depth is known everywhere.

Real logs cannot tell a bathymetry test whether a depth ended up at the right place; this
one can, because every depth in it was computed from :func:`seabed_depth` at the position
the log reports for that second. The file ``voyage.nmea`` is regenerated with
``python -m isomer_data.samples.voyage`` and must stay byte-identical (seeded).

The voyage: 14 minutes from 2024-05-01 23:53:00 Z across midnight, 6 kn on 135° true
from 50°48'N 1°18'W, with

* 1 Hz RMC + GGA from the GPS (talker GP) and DBT + DPT from the sounder (talker SD);
  the transducer is ``TRANSDUCER_DEPTH`` = 0.5 m below the waterline (DPT offset +0.5),
  so ``belowTransducer + 0.5 == seabed_depth(lat, lon)`` to the 0.1 m the sounder prints;
* 1 Hz MWV (apparent wind), VHW and HDG every 2 s, MTW and XDR (air temperature,
  pressure) every 10 s, ZDA every minute;
* AIS: a class A ship (types 1 and two-sentence 5) and a class B yacht (types 18, 24A/B);
* deliberate faults: one bad checksum, one binary garbage line, one truncated line, one
  unknown proprietary sentence, one unmapped GSA.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from pyais.encode import encode_dict

SEED = 20240501
START = 1714607580.0  # 2024-05-01T23:53:00Z
SECONDS = 840
START_LAT, START_LON = 50.80, -1.30
COURSE_DEG = 135.0
SPEED_KN = 6.0
TRANSDUCER_DEPTH = 0.5  # metres below the waterline (DPT offset)
MAGNETIC_VARIATION_DEG = -1.5  # 1.5° W
DEVIATION_DEG = 2.0  # 2.0° E
SHIP_MMSI, YACHT_MMSI = 235009876, 235001234

OUTPUT = Path(__file__).with_name("voyage.nmea")


def seabed_depth(lat: float, lon: float) -> float:
    """Depth of the seabed below the surface in metres at (lat, lon), WGS 84 degrees.

    A shelf deepening 400 m per degree of latitude southwards from 8 m at 50.80°N, with
    3 m sand waves of 0.01° wavelength in longitude; never shallower than 1 m.
    """
    depth = (
        8.0 + 400.0 * (START_LAT - lat) + 3.0 * math.sin(2.0 * math.pi * (lon - START_LON) / 0.01)
    )
    return max(depth, 1.0)


def position_at(seconds: float) -> tuple[float, float]:
    """Where the voyage is ``seconds`` after START (flat-earth dead reckoning)."""
    metres = SPEED_KN * 1852.0 / 3600.0 * seconds
    course = math.radians(COURSE_DEG)
    lat = START_LAT + metres * math.cos(course) / 111_320.0
    lon = START_LON + metres * math.sin(course) / (111_320.0 * math.cos(math.radians(START_LAT)))
    return lat, lon


def with_checksum(body: str, start: str = "$") -> str:
    value = 0
    for char in body:
        value ^= ord(char)
    return f"{start}{body}*{value:02X}"


def _lat(lat: float) -> str:
    hemi = "N" if lat >= 0 else "S"
    lat = abs(lat)
    deg = int(lat)
    return f"{deg:02d}{(lat - deg) * 60:07.4f},{hemi}"


def _lon(lon: float) -> str:
    hemi = "E" if lon >= 0 else "W"
    lon = abs(lon)
    deg = int(lon)
    return f"{deg:03d}{(lon - deg) * 60:07.4f},{hemi}"


def _utc(posix: float) -> tuple[str, str, tuple[int, int, int]]:
    day, rem = divmod(int(posix), 86400)
    # 2024-05-01 is day 19844 since the epoch; the voyage never spans more than two days.
    date = {19844: (2024, 5, 1), 19845: (2024, 5, 2)}[day]
    hhmmss = f"{rem // 3600:02d}{rem // 60 % 60:02d}{rem % 60:02d}.00"
    ddmmyy = f"{date[2]:02d}{date[1]:02d}{date[0] % 100:02d}"
    return hhmmss, ddmmyy, date


def _ais(fields: dict) -> list[str]:
    return encode_dict(fields, talker_id="AI", sentence_type="VDM", radio_channel="A")


def generate(seconds: int = SECONDS, seed: int = SEED) -> bytes:
    """The voyage log as bytes (ASCII apart from the deliberate garbage line)."""
    rng = random.Random(seed)
    lines: list[bytes] = []

    def add(text: str) -> None:
        lines.append(text.encode("ascii") + b"\r\n")

    sog = SPEED_KN * 1852.0 / 3600.0
    for second in range(seconds):
        now = START + second
        hhmmss, ddmmyy, (year, month, day) = _utc(now)
        lat, lon = position_at(second)
        cog = COURSE_DEG + rng.uniform(-0.5, 0.5)
        add(
            with_checksum(
                f"GPRMC,{hhmmss},A,{_lat(lat)},{_lon(lon)},{SPEED_KN + rng.uniform(-0.1, 0.1):.1f},"
                f"{cog:.1f},{ddmmyy},{abs(MAGNETIC_VARIATION_DEG):.1f},W"
            )
        )
        add(with_checksum(f"GPGGA,{hhmmss},{_lat(lat)},{_lon(lon)},1,09,0.9,12.3,M,47.0,M,,"))
        below_transducer = seabed_depth(lat, lon) - TRANSDUCER_DEPTH
        feet, fathoms = below_transducer / 0.3048, below_transducer / 1.8288
        add(with_checksum(f"SDDBT,{feet:.1f},f,{below_transducer:.1f},M,{fathoms:.1f},F"))
        add(with_checksum(f"SDDPT,{below_transducer:.1f},{TRANSDUCER_DEPTH:.1f}"))
        wind_angle = (40.0 + rng.uniform(-5, 5)) % 360
        bad = second == 100
        mwv = with_checksum(f"WIMWV,{wind_angle:.1f},R,{14.0 + rng.uniform(-2, 2):.1f},N,A")
        add(mwv[:-2] + "00" if bad else mwv)
        if second % 2 == 0:
            heading = COURSE_DEG + rng.uniform(-1, 1)
            magnetic = heading - MAGNETIC_VARIATION_DEG
            add(
                with_checksum(
                    f"IIVHW,{heading:.1f},T,{magnetic:.1f},M,{sog / (1852 / 3600) - 0.3:.2f},N,,K"
                )
            )
            compass = magnetic - DEVIATION_DEG
            add(
                with_checksum(
                    f"HCHDG,{compass:.1f},{DEVIATION_DEG:.1f},E,{abs(MAGNETIC_VARIATION_DEG):.1f},W"
                )
            )
        if second % 10 == 0:
            add(with_checksum(f"YXMTW,{13.5 + rng.uniform(-0.2, 0.2):.1f},C"))
            add(
                with_checksum(
                    f"WIXDR,C,{15.0 + rng.uniform(-0.5, 0.5):.1f},C,AIRTEMP,"
                    f"P,{1.0132 + rng.uniform(-0.001, 0.001):.4f},B,BARO"
                )
            )
            ship_lat, ship_lon = position_at(second * 2.0)
            add_many = _ais(
                {
                    "type": 1,
                    "mmsi": SHIP_MMSI,
                    "status": 0,
                    "speed": 12.0,
                    "lat": round(ship_lat + 0.01, 5),
                    "lon": round(ship_lon, 5),
                    "course": 135.0,
                    "heading": 134,
                }
            )
            for text in add_many:
                add(text)
        if second % 10 == 5:
            yacht_lat, yacht_lon = position_at(seconds - second)
            for text in _ais(
                {
                    "type": 18,
                    "mmsi": YACHT_MMSI,
                    "speed": 5.2,
                    "lat": round(yacht_lat - 0.005, 5),
                    "lon": round(yacht_lon, 5),
                    "course": 315.0,
                    "heading": 511,
                }
            ):
                add(text)
        if second % 60 == 30:
            add(with_checksum(f"GPZDA,{hhmmss},{day:02d},{month:02d},{year},00,00"))
            for text in _ais(
                {
                    "type": 5,
                    "mmsi": SHIP_MMSI,
                    "imo": 9123456,
                    "callsign": "MXYZ7",
                    "shipname": "ISOMER TRADER",
                    "ship_type": 70,
                    "to_bow": 120,
                    "to_stern": 30,
                    "to_port": 10,
                    "to_starboard": 12,
                    "draught": 7.4,
                    "destination": "SOUTHAMPTON",
                }
            ):
                add(text)
            for part in (
                {"partno": 0, "shipname": "SEA URCHIN"},
                {
                    "partno": 1,
                    "ship_type": 36,
                    "callsign": "MABC1",
                    "to_bow": 6,
                    "to_stern": 5,
                    "to_port": 2,
                    "to_starboard": 2,
                },
            ):
                for text in _ais({"type": 24, "mmsi": YACHT_MMSI, **part}):
                    add(text)
        if second == 200:
            lines.append(b"\x00\x13\xfe\xff\x80garbage\x01\r\n")
        if second == 300:
            add("$GPGGA,000102,5048.1")
        if second == 400:
            add(with_checksum("PGRME,15.0,M,45.0,M,25.0,M"))
            add(with_checksum("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"))
    return b"".join(lines)


def main() -> None:
    OUTPUT.write_bytes(generate())
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
