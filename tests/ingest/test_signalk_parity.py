"""The sentences added for parity with Signal K's reference parser, against its own tests.

Each case is an example line from ``@signalk/nmea0183-signalk``'s test suite (the file and
test named in the case, ``test/<SENTENCE>.ts`` of SignalK/nmea0183-signalk) with the path,
context and value that test expects. Signal K converts with rounded factors (1 kn =
0.514444 m/s, its own π/180) and we with exact ones, so values agree to 1e-6 relative;
where Signal K's test allows more (``closeTo(x, 0.5)``) its tolerance is kept. Where we
deviate on purpose the case says so and docs/signalk-mapping.md lists it.

Every case runs through the live decoder (:class:`Decoder`, one line at a time with its
receive time, as serial and network sources feed it) and, all cases in one log file,
through ``isomer ingest`` and ``isomer export`` (the batch decoder and the database).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from isomer_data.ingest.decode import Decoder
from isomer_data.ingest.framing import checksum

from isomer_data.cli.main import main

T0 = 1714564800.0  # 2024-05-01T12:00:00Z
DEG = math.pi / 180
KNOT = 1852 / 3600
SELF = "self"


def mmsi(number: str) -> str:
    return f"urn:mrn:imo:mmsi:{number}"


def nmea(text: str) -> str:
    """A sentence as given, or with its checksum computed when the test wrote none."""
    if "*" in text:
        return text
    body = text.lstrip("$")
    return f"${body}*{checksum(body):02X}"


@dataclass
class Case:
    name: str  # the reference test it comes from
    lines: list[str]
    expected: dict[tuple[str, str], Any]  # (vessel, path) → value, or a predicate
    rejected: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    tolerance: float = 1e-6

    def __post_init__(self) -> None:
        self.lines = [nmea(line) for line in self.lines]


def seatalk(datagram: str, expected: dict, name: str, tolerance: float = 1e-6) -> list[Case]:
    """Signal K's seatalk tests run each datagram under $STALK, $PSMDST and $PSMDST,R."""
    return [
        Case(f"seatalk.ts: {prefix} {name}", [f"{prefix}{datagram}"], expected, tolerance=tolerance)
        for prefix in ("$STALK,", "$PSMDST,", "$PSMDST,R,")
    ]


def gsv(value: dict) -> bool:
    return value["satellites"] is not None


CASES = [
    # test/DBK.ts
    Case(
        "DBK.ts: Converts OK",
        ["$IIDBK,035.53,f,010.83,M,005.85,F*3C"],
        {(SELF, "environment.depth.belowKeel"): 10.83},
    ),
    Case("DBK.ts: Converts empty value to null (nothing stored)", ["$IIDBK,,,,,,*4D"], {}),
    # test/MTA.ts
    Case(
        "MTA.ts: Converts OK",
        ["$IIMTA,26.,C*31"],
        {(SELF, "environment.outside.temperature"): 299.15},
    ),
    Case(
        "MTA.ts: Does not accept units other than Celsius",
        ["$IIMTA,26.,F*34"],
        {},
        rejected={"void_status": 1},
    ),
    # test/MDA.ts
    Case(
        "MDA.ts: barometric pressure and wind speed in knots",
        ["$WIMDA,,I,+0.985,B,+03.1,C,+5.6,C,40.0,3.0,+3.4,C,90.0,T,85.0,M,10.0,N,,M*1A"],
        {
            (SELF, "environment.outside.pressure"): 98500.0,
            (SELF, "environment.outside.temperature"): 276.25,
            (SELF, "environment.water.temperature"): 278.75,
            (SELF, "environment.outside.humidity"): 0.4,
            (SELF, "environment.outside.humidityAbsolute"): 0.03,
            (SELF, "environment.outside.dewPointTemperature"): 276.55,
            (SELF, "environment.wind.directionTrue"): 1.5707963,
            (SELF, "environment.wind.directionMagnetic"): 1.4835299,
            (SELF, "environment.wind.speedOverGround"): 5.14444,
        },
    ),
    Case(
        "MDA.ts: inHg pressure and wind speed in m/s",
        ["$WIMDA,29.92,I,,B,+03.1,C,+5.6,C,40.0,3.0,+3.4,C,90.0,T,85.0,M,,N,5.0,M*01"],
        {
            (SELF, "environment.outside.pressure"): 101320.75,  # closeTo(…, 0.005)
            (SELF, "environment.outside.temperature"): 276.25,
            (SELF, "environment.water.temperature"): 278.75,
            (SELF, "environment.outside.humidity"): 0.4,
            (SELF, "environment.outside.humidityAbsolute"): 0.03,
            (SELF, "environment.outside.dewPointTemperature"): 276.55,
            (SELF, "environment.wind.directionTrue"): 1.5707963,
            (SELF, "environment.wind.directionMagnetic"): 1.4835299,
            (SELF, "environment.wind.speedOverGround"): 5.0,
        },
    ),
    Case("MDA.ts: no hiccup on empty message", ["$WIMDA,,I,,B,,C,,C,,,,C,,T,,M,,N,,M*04"], {}),
    # test/VPW.ts
    Case(
        "VPW.ts: Converts OK",
        ["$IIVPW,4.5,N,6.7,M*52"],
        {(SELF, "performance.velocityMadeGood"): 6.7},
    ),
    Case(
        "VPW.ts: Uses knots when m/s missing",
        ["$IIVPW,5.0,N,,M*79"],
        {(SELF, "performance.velocityMadeGood"): 2.5722},
        tolerance=0.01 / 2.5722,
    ),
    Case("VPW.ts: both missing", ["$IIVPW,,N,,M*52"], {}),
    # test/VDR.ts
    Case(
        "VDR.ts: Converts OK",
        ["$IIVDR,10.1,T,12.3,M,1.2,N*3A"],
        {
            (SELF, "environment.current"): {
                "setTrue": 0.1762782544916768,
                "setMagnetic": 0.21467549804431932,
                "drift": 0.6173334897244841,
            }
        },
    ),
    # test/HSC.ts
    Case(
        "HSC.ts: Converts OK",
        ["$FTHSC,40.12,T,39.11,M*5E"],
        {
            (SELF, "steering.autopilot.target.headingTrue"): 0.7002260960600073,
            (SELF, "steering.autopilot.target.headingMagnetic"): 0.6825982706108397,
        },
    ),
    Case(
        "HSC.ts: Handles reversed Magnetic/True ordering",
        ["$FTHSC,40.12,M,39.11,T*5E"],
        {
            (SELF, "steering.autopilot.target.headingMagnetic"): 0.7002260960600073,
            (SELF, "steering.autopilot.target.headingTrue"): 0.6825982706108397,
        },
    ),
    # test/BOD.ts
    Case(
        "BOD.ts: Converts OK",
        ["$GPBOD,045.,T,023.,M,DEST,START*01"],
        {
            (SELF, "navigation.courseRhumbline.bearingTrackTrue"): 0.7853981635767779,
            (SELF, "navigation.courseRhumbline.bearingTrackMagnetic"): 0.40142572805035315,
            (SELF, "navigation.courseRhumbline.nextPoint.ID"): "DEST",
            (SELF, "navigation.courseRhumbline.previousPoint.ID"): "START",
        },
    ),
    Case(
        "BOD.ts: Trims whitespace in waypoint IDs",
        ["$GPBOD,045.,T,023.,M, DEST , START *01"],
        {
            (SELF, "navigation.courseRhumbline.bearingTrackTrue"): 0.7853981635767779,
            (SELF, "navigation.courseRhumbline.bearingTrackMagnetic"): 0.40142572805035315,
            (SELF, "navigation.courseRhumbline.nextPoint.ID"): "DEST",
            (SELF, "navigation.courseRhumbline.previousPoint.ID"): "START",
        },
    ),
    # test/BWC.ts
    Case(
        "BWC.ts: Converts OK",
        ["$GPBWC,225444,4917.24,N,12309.57,W,051.9,T,031.6,M,001.3,N,004*29"],
        {
            (SELF, "navigation.courseGreatCircle.nextPoint.position"): {
                "latitude": 49.287333333333336,
                "longitude": -123.1595,
            },
            (SELF, "navigation.courseGreatCircle.nextPoint.distance"): 2407.6000020320143,
            (SELF, "navigation.courseGreatCircle.bearingTrackTrue"): 0.9058258819918839,
            (SELF, "navigation.courseGreatCircle.bearingTrackMagnetic"): 0.5515240437561374,
        },
    ),
    Case(
        "BWC.ts: Converts also without next position coordinates",
        ["$IIBWC,200321,,,,,119.5,T,129.5,M,22.10,N,1*1E"],
        {
            (SELF, "navigation.courseGreatCircle.nextPoint.distance"): 40929.20003454424,
            (SELF, "navigation.courseGreatCircle.bearingTrackTrue"): 2.0856684566094437,
            (SELF, "navigation.courseGreatCircle.bearingTrackMagnetic"): 2.2602013818487277,
        },
    ),
    # test/BWR.ts
    Case(
        "BWR.ts: Converts OK",
        ["$GPBWR,225444,4917.24,N,12309.57,W,051.9,T,031.6,M,001.3,N,004*38"],
        {
            (SELF, "navigation.courseRhumbline.bearingTrackTrue"): 0.9058258819918839,
            (SELF, "navigation.courseRhumbline.bearingTrackMagnetic"): 0.5515240437561374,
            (SELF, "navigation.courseRhumbline.nextPoint.distance"): 2407.6000020320143,
            (SELF, "navigation.courseRhumbline.nextPoint.position"): {
                "latitude": 49.287333333333336,
                "longitude": -123.1595,
            },
        },
    ),
    Case(
        "BWR.ts: Uses km and reversed M/T ordering",
        ["$IIBWR,200321,4917.24,N,12309.57,W,119.5,M,129.5,T,22.10,K,1*25"],
        {
            (SELF, "navigation.courseRhumbline.nextPoint.distance"): 22100.0,
            (SELF, "navigation.courseRhumbline.bearingTrackMagnetic"): 2.0856684566094437,
            (SELF, "navigation.courseRhumbline.bearingTrackTrue"): 2.2602013818487277,
            (SELF, "navigation.courseRhumbline.nextPoint.position"): {
                "latitude": 49.287333333333336,
                "longitude": -123.1595,
            },
        },
    ),
    # test/RPM.ts
    Case(
        "RPM.ts: Converts OK",
        ["$IIRPM,E,1,2418.2,10.5,A*5F"],
        {(SELF, "propulsion.engine_1.revolutions"): 2418.2 / 60},
    ),
    Case(
        "RPM.ts: Source 'S' maps to propulsion.shaft_<id>",
        ["$IIRPM,S,2,1800.0,0.0,A*7A"],
        {(SELF, "propulsion.shaft_2.revolutions"): 30.0},
    ),
    Case(
        "RPM: an engine number that is not 0-99 names no path",
        ["$IIRPM,E,1.engine,1800.0,0.0,A"],
        {},
        rejected={"malformed_field": 1},
    ),
    # test/GSV.ts
    Case(
        "GSV.ts: GPGSV converts to GPS",
        [
            "$GPGSV,3,1,09,07,16,321,37,08,29,281,33,10,29,143,35,16,75,216,35,0*6E",
            "$GPGSV,3,2,09,18,38,057,35,20,44,105,40,21,81,117,33,26,43,164,25,0*63",
            "$GPGSV,3,3,09,27,62,289,41,0*5B",
        ],
        {
            (SELF, "navigation.gnss.satellitesInView"): lambda v: (
                v["gnss"] == "GPS" and v["count"] == 9 and len(v["satellites"]) == 9
            )
        },
    ),
    Case(
        "GSV.ts: GPGSV with not repeated numOfSentences, satsInView converts",
        [
            "$GPGSV,3,1,10,8,13,62,35,13,50,277,39,18,18,324,33,5,53,228,38*48",
            "$GPGSV,,2,,7,43,71,39,30,73,107,38,27,13,26,34,15,14,289,37*7F",
            "$GPGSV,,3,,14,33,150,40,28,26,155,37*44",
        ],
        {
            (SELF, "navigation.gnss.satellitesInView"): lambda v: (
                v["count"] == 10
                and close(
                    v["satellites"][0],
                    {
                        "SNR": 35,
                        "azimuth": 1.0821041364835606,
                        "elevation": 0.22689280281106916,
                        "id": 8,
                    },
                    1e-6,
                )
            )
        },
    ),
    Case(
        "GSV.ts: GLGSV converts to GLONASS",
        [
            "$GLGSV,2,1,06,78,55,122,40,77,32,036,37,69,57,298,41,68,66,101,38,1*79",
            "$GLGSV,2,2,06,85,30,317,27,84,22,262,19,1*72",
        ],
        {
            (SELF, "navigation.gnss.satellitesInView"): lambda v: (
                v["gnss"] == "GLONASS"
                and v["count"] == 6
                and len(v["satellites"]) == 6
                and close(
                    v["satellites"][0],
                    {
                        "id": 78 - 64,
                        "elevation": 0.9599310888160619,
                        "azimuth": 2.1293016879192646,
                        "SNR": 40,
                    },
                    1e-6,
                )
            )
        },
    ),
    Case(
        "GSV.ts: GAGSV converts to Galileo",
        [
            "$GAGSV,3,1,10,04,27,094,38,05,41,265,39,15,19,332,35,36,19,221,33,7*78",
            "$GAGSV,3,2,10,06,53,100,36,09,79,122,32,21,09,017,30,34,37,277,35,7*78",
            "$GAGSV,3,3,10,31,27,125,32,23,34,065,35,7*71",
        ],
        {
            (SELF, "navigation.gnss.satellitesInView"): lambda v: (
                v["gnss"] == "GALILEO"
                and v["count"] == 10
                and len(v["satellites"]) == 10
                and close(
                    v["satellites"][0],
                    {
                        "id": 4,
                        "elevation": 0.47123889814606673,
                        "azimuth": 1.6406094972492695,
                        "SNR": 38,
                    },
                    1e-6,
                )
            )
        },
    ),
    Case(
        "GSV.ts: leaves a QZSS identifier alone",
        ["$GQGSV,1,1,01,193,45,123,40,0*6B"],
        {(SELF, "navigation.gnss.satellitesInView"): lambda v: v["satellites"][0]["id"] == 193},
    ),
    Case(
        "GSV.ts: strips the GLONASS offset on a combined GN talker",
        ["$GNGSV,1,1,01,78,55,122,40,1*41"],
        {
            (SELF, "navigation.gnss.satellitesInView"): lambda v: (
                v["satellites"][0]["id"] == 14 and "gnss" not in v
            )
        },
    ),
    Case(
        "GSV.ts: Skips an out-of-order sentence and resets state",
        [
            "$GPGSV,3,1,09,07,16,321,37,08,29,281,33,10,29,143,35,16,75,216,35,0*6E",
            "$GPGSV,3,3,09,27,62,289,41,0*5B",
        ],
        {},
        unmapped={"GSV incomplete": 1},
    ),
    Case(
        "GSV: numbers nested in the object are held to their ranges (a huge id, NaN)",
        ["$GPGSV,1,1,01,99999999999999999999,45,123,40", "$GPGSV,1,1,01,05,nan,120,40"],
        {},
        rejected={"malformed_field": 2},
    ),
    # test/DSC.ts: values go to the context of the vessel the call is about.
    Case(
        "DSC.ts: Position converts ok",
        ["$CDDSC,20,3381581370,00,21,26,1423108312,1902,,,B,E*7B"],
        {
            (mmsi("338158137"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            }
        },
    ),
    Case(
        "DSC.ts: Distress converts ok",
        ["$CDDSC,12,3380400790,12,06,00,1423108312,2019,,,S,E*6A"],
        {
            (mmsi("338040079"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            },
            (mmsi("338040079"), "notifications.adrift"): lambda v: (
                v["state"] == "emergency" and "adrift" in v["message"]
            ),
        },
    ),
    Case(
        "DSC.ts: Distress relay is attributed to the casualty and names the relaying station",
        ["$CDDSC,16,0031600010,12,112,00,1423108312,2019,3162009110,12,,*47"],
        {
            (mmsi("316200911"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            },
            (mmsi("316200911"), "notifications.epirb"): lambda v: "003160001" in v["message"],
        },
    ),
    Case(
        "DSC.ts: Distress relay without a casualty MMSI falls back to the relaying station",
        ["$CDDSC,16,0031600010,12,112,00,1423108312,2019,,12,,*48"],
        {
            (mmsi("003160001"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            },
            (mmsi("003160001"), "notifications.epirb"): lambda v: "unknown vessel" in v["message"],
        },
    ),
    Case(
        "DSC.ts: Distress acknowledgement is reported as an acknowledgement, not a relay",
        ["$CDDSC,16,0026610000,12,10,00,1423108312,2019,3162009110,12,,*72"],
        {
            (mmsi("316200911"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            },
            (mmsi("316200911"), "notifications.epirb"): lambda v: (
                "acknowledgement" in v["message"]
                and "002661000" in v["message"]
                and "relay" not in v["message"]
            ),
        },
    ),
    Case(
        "DSC.ts: Distress Alert with empty Category (per spec) is recognized as distress",
        ["$CDDSC,12,5031105200,,05,00,2380814428,1800,,,R,E"],  # the test skips the checksum
        {
            (mmsi("503110520"), "navigation.position"): {
                "latitude": -(38 + 8 / 60),
                "longitude": 144 + 28 / 60,
            },
            (mmsi("503110520"), "notifications.sinking"): lambda v: "sinking" in v["message"],
        },
    ),
    Case(
        "DSC.ts: Distress Alert with no position still raises its nature notification",
        ["$CDDSC,12,3380400790,,07,,,,,,*55"],
        {(mmsi("338040079"), "notifications.undesignated"): lambda v: v["state"] == "emergency"},
    ),
    Case(
        "DSC.ts: Distress Alert with a too short position emits no navigation.position",
        ["$CDDSC,12,3380400790,12,06,00,12345,2019,,,S,E*56"],
        {(mmsi("338040079"), "notifications.adrift"): lambda v: v["state"] == "emergency"},
    ),
    Case(
        "DSC: a position with 60 minutes or more is refused, not shifted a degree",
        ["$CDDSC,12,3380400790,12,06,00,1426108312,2019,,,S,E"],
        {(mmsi("338040079"), "notifications.adrift"): lambda v: v["state"] == "emergency"},
        rejected={"impossible_position": 1},
    ),
    Case(
        "DSC.ts: Sentence with a non-numeric sender MMSI is dropped",
        ["$CDDSC,12,ABC,,07,,,,,,*17"],
        {},
        rejected={"malformed_field": 1},
    ),
    Case(
        "DSC.ts: Unhandled sentence (Signal K: a parser notification; here: not mapped)",
        ["$CDDSC,20,3381581370,00,22,26,1423108312,1902,,,B,E*78"],
        {},
        unmapped={"DSC call": 1},
    ),
    # test/THS.ts (in Signal K's repository after its release 3.20.1)
    Case(
        "THS.ts: Converts OK",
        ["$GPTHS,123.456,A*30"],
        {(SELF, "navigation.headingTrue"): 2.155},
        tolerance=0.005 / 2.155,
    ),
    Case(
        "THS.ts: Accepts estimated, manual and simulator mode indicators",
        ["$HETHS,90.0,E*10", "$HETHS,90.0,M*18", "$HETHS,90.0,S*06"],
        {(SELF, "navigation.headingTrue"): math.pi / 2},
    ),
    Case(
        "THS.ts: Returns null when mode indicator is V (data not valid)",
        ["$HETHS,123.456,V*3D", "$SKTHS,,*57"],
        {},
        rejected={"void_status": 2},
    ),
    # test/DSE.ts (in Signal K's repository after its release 3.20.1)
    Case(
        "DSE.ts: refines the position of the preceding DSC sentence",
        [
            "$CDDSC,12,3380400790,12,06,00,1423108312,2019,,,S,E*6A",
            "$CDDSE,1,1,A,3380400790,00,45894494*1B",
        ],
        {
            (mmsi("338040079"), "navigation.position"): {
                "latitude": 42.5243,
                "longitude": -83.2075,
            },
            (mmsi("338040079"), "notifications.adrift"): lambda v: v["state"] == "emergency",
        },
        tolerance=0.0001 / 83.2,
    ),
    Case(
        "DSE.ts: returns null when no preceding DSC position is known",
        ["$CDDSE,1,1,A,3380400790,00,45894494*1B"],
        {},
        unmapped={"DSE without DSC": 1},
    ),
    Case(
        "DSE.ts: ignores multi-sentence DSE groups",
        [
            "$CDDSC,12,3380400790,12,06,00,1423108312,2019,,,S,E*6A",
            "$CDDSE,2,1,A,3380400790,00,45894494*18",
        ],
        {
            (mmsi("338040079"), "navigation.position"): {
                "latitude": 42 + 31 / 60,
                "longitude": -83.2,
            },
            (mmsi("338040079"), "notifications.adrift"): lambda v: v["state"] == "emergency",
        },
        unmapped={"DSE group": 1},
    ),
    # test/PNKEP.ts
    Case(
        "PNKEP.ts: Polarspeed data",
        ["$PNKEP,01,8.3,N,15.5,K*52"],
        {(SELF, "performance.targetSpeed"): 4.269889970594349},
    ),
    Case(
        "PNKEP.ts: Uses knots when kph is zero for 01",
        ["$PNKEP,01,8.3,N,0,K*7D"],
        {(SELF, "performance.targetSpeed"): 4.269889970594349},
    ),
    Case(
        "PNKEP.ts: Course on next tack data",
        ["$PNKEP,02,344.4*6B"],
        {(SELF, "performance.tackMagnetic"): 6.0109139439},
    ),
    Case(
        "PNKEP.ts: Direction data",
        ["$PNKEP,03,152.0,55.2,67.1*69"],
        {(SELF, "performance.targetAngle"): 2.652900463},
    ),
    Case("PNKEP.ts: Returns null when 01 has no speed data", ["$PNKEP,01,,N,,K*68"], {}),
    # test/PBVE.ts (the psi factor there is 6894.757; ours is the exact 6894.757293…)
    Case(
        "PBVE.ts: Converts engine oil pressure",
        ["$PBVE,DGOIADNNACAEACAAABBLAAEBAACMCFAAEPAIKI*37"],
        {(SELF, "propulsion.0.oilPressure"): 255106.009},
    ),
    Case(
        "PBVE.ts: Converts engine coolant temperature",
        ["$PBVE,EDOIADOKACABABAAAACAPPCMABCGADABDOAEGL*20"],
        {(SELF, "propulsion.0.coolantTemperature"): 399.26111111111106},
    ),
    Case(
        "PBVE.ts: Converts CruzPro RH30 engine RPM/hours (values: Signal K 3.20.1's output)",
        ["$PBVE,BJAAAOAAABNCANIIBDAAPHABAAAACCABAAADAAHCJPACDIBOACAAGL*2B"],
        {
            (SELF, "propulsion.0.revolutions"): 238.96666666666667,
            (SELF, "propulsion.0.runTime"): 5640.0,
        },
    ),
    Case(
        "PBVE.ts: Should not parse if product code is F",
        ["$PBVE,FGLABCGJAAAHADEE*21"],
        {},
        unmapped={"PBVE F": 1},
    ),
    # test/seatalk.ts, each datagram under $STALK, $PSMDST and $PSMDST,R
    *seatalk("00,02,41,22,22", {(SELF, "environment.depth.belowTransducer"): 266.33424}, "0x00"),
    *seatalk("10,01,01,10", {(SELF, "environment.wind.angleApparent"): 2.373647783254262}, "0x10"),
    *seatalk("11,01,01,02", {(SELF, "environment.wind.speedApparent"): 0.6173334897244841}, "0x11"),
    *seatalk("20,01,2C,01", {(SELF, "navigation.speedThroughWater"): 15.433337243112103}, "0x20"),
    *seatalk("20,01,80,01", {(SELF, "navigation.speedThroughWater"): 19.75467167118349}, "0x20"),
    # Signal K's path is navigation.trip; the spec's (and our VLW's) is navigation.trip.log.
    *seatalk("21,02,32,34,02", {(SELF, "navigation.trip.log"): 2674917.68225763}, "0x21"),
    *seatalk("22,02,33,56,00", {(SELF, "navigation.log"): 4086808.4}, "0x22"),
    *seatalk(
        "25,44,65,54,43,32,02",
        {(SELF, "navigation.trip.log"): 2665750.28, (SELF, "navigation.log"): 52550314.8},
        "0x25 trip and log 1",
    ),
    *seatalk(  # the test's datagram ends "00}": the stray brace is left out
        "25,14,4C,BF,00,00,00",
        {(SELF, "navigation.trip.log"): 0.0, (SELF, "navigation.log"): 11450.8 * 1852},
        "0x25 trip and log 2",
        tolerance=0.5 / (11450.8 * 1852),
    ),
    *seatalk(
        "26,04,12,11,10,11,21",
        {(SELF, "navigation.averageSpeedThroughWater"): 22.47},
        "0x26",
        tolerance=0.5 / 22.47,
    ),
    *seatalk(
        "27,01,01,01",
        {(SELF, "environment.water.temperature"): 288.9},
        "0x27",
        tolerance=0.5 / 288.9,
    ),
    *seatalk(
        "52,01,02,00",
        {(SELF, "navigation.speedOverGround"): 0.103},
        "0x52",
        tolerance=0.005 / 0.103,
    ),
    *seatalk(
        "53,10,22",
        {(SELF, "navigation.courseOverGroundMagnetic"): 2.7576},
        "0x53",
        tolerance=0.005 / 2.7576,
    ),
    *seatalk(
        "57,70,94",
        {
            (SELF, "navigation.gnss.satellites"): 7.0,
            (SELF, "navigation.gnss.horizontalDilution"): 148.0,
        },
        "0x57",
    ),
    *seatalk(
        "84,B6,10,00,00,00,00,00,00",
        {
            (SELF, "navigation.headingMagnetic"): 5.288347634750305,
            (SELF, "steering.autopilot.target.headingMagnetic"): 0.0,
            (SELF, "steering.rudderAngle"): 0.0,
            (SELF, "steering.autopilot.state"): "standby",
        },
        "0x84 heading",
    ),
    *seatalk(
        "84,56,5E,79,02,00,00,00,08",
        {
            (SELF, "navigation.headingMagnetic"): (90 + 60 + 1) * DEG,
            (SELF, "steering.autopilot.target.headingMagnetic"): 2.626720524851224,
            (SELF, "steering.rudderAngle"): 0.0,
            (SELF, "steering.autopilot.state"): "auto",
        },
        "0x84 ap mode: auto",
    ),
    *seatalk(
        "84,06,00,00,08,00,FE,00,00",
        {
            (SELF, "navigation.headingMagnetic"): 0.0,
            (SELF, "steering.autopilot.target.headingMagnetic"): 0.0,
            (SELF, "steering.rudderAngle"): -0.0349065850478568,
            (SELF, "steering.autopilot.state"): "route",
        },
        "0x84 rudder angle",
    ),
    *seatalk("99,00,43", {(SELF, "navigation.magneticVariation"): -1.1693705988362009}, "0x99 W"),
    *seatalk("99,00,FF", {(SELF, "navigation.magneticVariation"): 0.017453292519943295}, "0x99 E"),
    *seatalk("99,00,80", {(SELF, "navigation.magneticVariation"): 2.234021442552742}, "0x99 max E"),
    *seatalk(
        "9C,51,1E,00",
        {
            (SELF, "navigation.headingMagnetic"): 2.635447171113188,
            (SELF, "steering.rudderAngle"): 0.0,
        },
        "0x9C",
    ),
    *seatalk(
        "9C,51,00,00",
        {(SELF, "navigation.headingMagnetic"): 91 * DEG, (SELF, "steering.rudderAngle"): 0.0},
        "0x9C heading carry: U=0x5",
    ),
    # Signal K's path is …courseRhumbline.bearingToDestinationMagnetic, not in the spec;
    # ours is the spec's (and RMB's) nextPoint.bearingMagnetic.
    *seatalk(
        "85,46,06,A0,65,22,17,00,00",
        {
            (SELF, "navigation.courseRhumbline.crossTrackError"): 1852.0,
            (SELF, "navigation.courseRhumbline.nextPoint.bearingMagnetic"): 45 * DEG,
            (SELF, "navigation.courseRhumbline.nextPoint.distance"): 5.5 * 1852,
        },
        "0x85 navigation to waypoint",
    ),
    *seatalk(
        "85,26,03,0A,80,07,47,00,00",
        {
            (SELF, "navigation.courseRhumbline.crossTrackError"): -0.5 * 1852,
            (SELF, "navigation.courseRhumbline.nextPoint.bearingTrue"): math.pi,
            (SELF, "navigation.courseRhumbline.nextPoint.distance"): 12.0 * 1852,
        },
        "0x85 with true bearing",
    ),
    *seatalk(
        "85,56,10,00,00,00,11,00,00",
        {(SELF, "navigation.courseRhumbline.crossTrackError"): 2.61 * 1852},
        "0x85 cross track error uses the low nibble last",
    ),
    *seatalk(
        "82,05,27,D8,48,B7,06,F9",
        {(SELF, "navigation.courseRhumbline.nextPoint.ID"): "WPT1"},
        "0x82",
    ),
    *seatalk(
        "82,05,91,6E,04,FB,00,FF",
        {(SELF, "navigation.courseRhumbline.nextPoint.ID"): "AB"},
        "0x82 short name",
    ),
    Case(
        # The test's latitude datagram "50,22,21,01" is one byte shorter than its length
        # nibble says (Signal K reads the missing byte as 0); a whole one here.
        "seatalk.ts: 0x50 Latitude and 0x51 Longitude converted",
        ["$STALK,50,22,21,00,00", "$STALK,51,22,21,00,00"],
        {(SELF, "navigation.position"): {"latitude": 33.0, "longitude": -33.0}},
    ),
    Case(
        # The test's date "56,31,23,18" is 35 March, which JavaScript rolls to 4 April;
        # an impossible date is refused here, so the test's day is written as 4 April.
        "seatalk.ts: 0x54 emits datetime when date already set",
        ["$STALK,56,41,04,18", "$STALK,54,21,22,11"],
        {(SELF, "navigation.datetime"): "2024-04-04T17:08:34.000Z"},
    ),
    Case(
        "seatalk.ts: an impossible date is refused, not rolled over",
        ["$STALK,56,31,23,18"],
        {},
        rejected={"malformed_field": 1},
    ),
    Case(
        "seatalk.ts: Doesn't choke on empty 0x9C sentences",
        ["$STALK,9C,,,"],
        {},
        rejected={"malformed_field": 1},
    ),
    Case(
        "seatalk.ts: 0x84 short sentence",
        ["$STALK,84,06,00,00,04,00,00,00"],
        {},
        rejected={"malformed_field": 1},
    ),
    Case(
        "seatalk.ts: unknown seatalk datagram",
        ["$STALK,EE,01,02", "$PSMDST,R,EE,01,02"],
        {},
        unmapped={"ALK EE": 1, "PSMDST EE": 1},
    ),
    Case(
        "PSMDST: datagrams the multiplexer sent are not read",
        ["$PSMDST,C,00,02,41,22,22"],
        {},
        unmapped={"PSMDST sent": 1},
    ),
]


def close(got: Any, want: Any, tolerance: float) -> bool:
    """Equal, numbers to ``tolerance`` relative (1e-9 absolute near zero), recursively."""
    if callable(want):
        return bool(want(got))
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and got.keys() == want.keys()
            and all(close(got[k], want[k], tolerance) for k in want)
        )
    if isinstance(want, float | int) and not isinstance(want, bool):
        return isinstance(got, float | int) and math.isclose(
            got, want, rel_tol=tolerance, abs_tol=1e-9
        )
    return got == want


def agrees(got: dict, case: Case) -> None:
    assert got.keys() == case.expected.keys(), case.name
    for key, want in case.expected.items():
        assert close(got[key], want, case.tolerance), (case.name, key, got[key], want)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_live_decoder_gives_what_signal_k_expects(case):
    decoder = Decoder()
    observations = [o for line in case.lines for o in decoder.feed(line, received=T0)]
    agrees({(o.vessel, o.path): o.value for o in observations}, case)
    assert dict(decoder.report.rejected) == case.rejected, case.name
    assert dict(decoder.report.unmapped) == case.unmapped, case.name


def test_isomer_ingest_of_a_file_stores_what_signal_k_expects(tmp_path, db_url, capsys):
    """All cases in one log, dated by a ZDA: what the database gives back, per case."""
    log = tmp_path / "parity.nmea"
    dating = nmea("GPZDA,120000.00,01,05,2024,00,00")
    log.write_text("\n".join([dating, *(line for case in CASES for line in case.lines)]) + "\n")
    assert main(["ingest", str(log), "--db", db_url]) == 0
    printed = capsys.readouterr().out
    out = tmp_path / "out.jsonl"
    assert main(["export", "observations", "--db", db_url, "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    stored: dict[tuple[str, str], list] = {}
    for row in rows:
        stored.setdefault((row["vessel"], row["path"]), []).append(row["value"])
    stored[(SELF, "navigation.datetime")].remove("2024-05-01T12:00:00.000Z")  # the ZDA's own
    for case in CASES:
        for key, want in case.expected.items():
            assert any(close(value, want, case.tolerance) for value in stored.get(key, [])), (
                case.name,
                key,
                stored.get(key),
            )
    expected_paths = {key for case in CASES for key in case.expected}
    assert {key for key, values in stored.items() if values} == expected_paths
    rejected = sum(sum(case.rejected.values()) for case in CASES)
    assert f"{rejected} rejected" in printed


LIVE = [
    "DSC.ts: Distress converts ok",
    "GSV.ts: GLGSV converts to GLONASS",
    "MDA.ts: inHg pressure",
]


async def test_udp_feed_reaches_the_live_state_under_the_right_contexts():
    """A real loopback UDP source through the ingest worker, as ``--source udp://``."""
    import asyncio
    import socket
    import time

    from isomer_data.ingest.worker import IngestWorker, LiveSink

    from isomer_data.services.live.state import LiveState

    cases = [c for c in CASES if any(c.name.startswith(name) for name in LIVE)]
    cases.append(next(c for c in CASES if c.name.startswith("seatalk.ts: $STALK, 0x84 ap mode")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = LiveState()
    worker = IngestWorker(f"udp://127.0.0.1:{port}", sinks=[LiveSink(live)])
    task = asyncio.create_task(worker.run())
    try:
        deadline = time.monotonic() + 30
        while worker.source.state != "listening":
            assert time.monotonic() < deadline, worker.source.status()
            await asyncio.sleep(0.01)
        payload = "".join(line + "\r\n" for case in cases for line in case.lines)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(payload.encode(), ("127.0.0.1", port))
        wanted = {key: want for case in cases for key, want in case.expected.items()}
        while any(live.get(*key) is None for key in wanted):
            assert time.monotonic() < deadline, worker.status()
            await asyncio.sleep(0.02)
        for key, want in wanted.items():
            assert close(live.get(*key)[1], want, 1e-6), key
        assert live.get(SELF, "notifications.adrift") is None  # the distress is not ours
    finally:
        task.cancel()


# The hooks of @signalk/nmea0183-signalk 3.20.1 (dist/hooks/index.js), with DSE and THS
# from its repository's src/hooks/index.ts; VDM and VDO are AIS (ingest/ais.py).
REFERENCE_HOOKS = [
    "ALK",
    "APB",
    "DBT",
    "DBK",
    "DBS",
    "DPT",
    "DSC",
    "DSE",
    "GNS",
    "GGA",
    "GLL",
    "GSV",
    "HDG",
    "HDM",
    "HDT",
    "PBVE",
    "PNKEP",
    "PSMDST",
    "MDA",
    "MTA",
    "MTW",
    "MWD",
    "MWV",
    "RMB",
    "RMC",
    "ROT",
    "RPM",
    "RSA",
    "VDM",
    "VDO",
    "VDR",
    "VHW",
    "VLW",
    "VPW",
    "VTG",
    "VWR",
    "VWT",
    "ZDA",
    "XTE",
    "BOD",
    "BWC",
    "BWR",
    "HSC",
    "THS",
]


def test_every_sentence_signal_k_reads_has_a_row():
    from isomer_data.ingest.sentences import SENTENCES

    assert set(REFERENCE_HOOKS) - {"VDM", "VDO"} <= SENTENCES.keys()
