"""NMEA 2000: every required PGN from known values to Signal K paths and SI units, through
every log format, fast-packet reassembly, bad input counted, sources kept apart."""

from __future__ import annotations

import math
import random

import pytest
from isomer_data.ingest.n2k import decoder as n2k
from isomer_data.ingest.n2k.formats import sniff
from isomer_data.ingest.n2k.mapping import MAPPING
from n2k_frames import WRITERS, canboat, frames, payload

T0 = 1718000000.25  # 2024-06-10T06:13:20.250Z
MMSI = 244123456
SELF = "self"
AIS = f"urn:mrn:imo:mmsi:{MMSI}"
BASE_STATION = "urn:mrn:imo:mmsi:2442103"  # n2k-signalk's test/129793_ais_base_station_data.js
SAR = "urn:mrn:imo:mmsi:338254261"  # n2k-signalk's test/129798_sar.js

# (pgn, canboat id, fields to encode, repeating sets, vessel, {path: expected value})
CASES = [
    (126992, "systemTime", {"date": 19884, "time": 3600.5, "source": 0}, None, SELF,
     {"navigation.datetime": "2024-06-10T01:00:00.500Z"}),
    (127245, "rudder", {"instance": 0, "position": -0.1}, None, SELF,
     {"steering.rudderAngle": -0.1}),
    (127250, "vesselHeading", {"heading": 1.5, "deviation": 0.01, "variation": -0.05, "reference": 1},
     None, SELF, {"navigation.headingMagnetic": 1.5, "navigation.magneticDeviation": 0.01,
                  "navigation.magneticVariation": -0.05}),
    (127251, "rateOfTurn", {"rate": 0.01}, None, SELF, {"navigation.rateOfTurn": 0.01}),
    (127257, "attitude", {"yaw": 0.1, "pitch": 0.02, "roll": -0.2}, None, SELF,
     {"navigation.attitude": {"yaw": 0.1, "pitch": 0.02, "roll": -0.2}}),
    (127488, "engineParametersRapidUpdate", {"instance": 0, "speed": 30.0}, None, SELF,
     {"propulsion.port.revolutions": 30.0}),
    (127489, "engineParametersDynamic",
     {"instance": 1, "oilPressure": 300000, "temperature": 350.0, "alternatorPotential": 14.2,
      "totalEngineHours": 36000, "engineLoad": 0.5},
     None, SELF, {"propulsion.starboard.oilPressure": 300000.0, "propulsion.starboard.temperature": 350.0,
                  "propulsion.starboard.alternatorVoltage": 14.2, "propulsion.starboard.runTime": 36000.0,
                  "propulsion.starboard.engineLoad": 0.5}),
    (127505, "fluidLevel", {"instance": 1, "type": 0, "level": 0.75, "capacity": 0.2}, None, SELF,
     {"tanks.fuel.1.currentLevel": 0.75, "tanks.fuel.1.capacity": 0.2}),
    (127506, "dcDetailedStatus", {"instance": 0, "dcType": 0, "stateOfCharge": 0.8, "stateOfHealth": 0.9,
                                  "timeRemaining": 7200}, None, SELF,
     {"electrical.batteries.0.capacity.stateOfCharge": 0.8,
      "electrical.batteries.0.capacity.stateOfHealth": 0.9,
      "electrical.batteries.0.capacity.timeRemaining": 7200.0}),
    (127508, "batteryStatus", {"instance": 2, "voltage": 12.6, "current": -3.5, "temperature": 295.0},
     None, SELF, {"electrical.batteries.2.voltage": 12.6, "electrical.batteries.2.current": -3.5,
                  "electrical.batteries.2.temperature": 295.0}),
    (127513, "batteryConfigurationStatus",
     {"instance": 2, "batteryType": 1, "supportsEqualization": 1, "nominalVoltage": 1, "chemistry": 0,
      "capacity": 360000, "temperatureCoefficient": 0.05, "peukertExponent": 1.25,
      "chargeEfficiencyFactor": 0.95}, None, SELF,
     {"electrical.batteries.2.batteryType": "gel", "electrical.batteries.2.supportsEqualization": True,
      "electrical.batteries.2.nominalVoltage": "12V", "electrical.batteries.2.chemistry": "pb (lead)",
      "electrical.batteries.2.capacity.nominal": 360000.0,
      "electrical.batteries.2.temperatureCoefficient": 0.05,
      "electrical.batteries.2.peukertExponent": 1.25,
      "electrical.batteries.2.chargeEfficiencyFactor": 0.95}),
    (128259, "speed", {"speedWaterReferenced": 3.2, "speedWaterReferencedType": 0}, None, SELF,
     {"navigation.speedThroughWater": 3.2}),
    (128267, "waterDepth", {"depth": 12.5, "offset": -0.5}, None, SELF,
     {"environment.depth.belowTransducer": 12.5, "environment.depth.transducerToKeel": -0.5,
      "environment.depth.belowKeel": 12.0}),
    (128275, "distanceLog", {"date": 19884, "time": 3600, "log": 123456, "tripLog": 2000}, None, SELF,
     {"navigation.log": 123456.0, "navigation.trip.log": 2000.0}),
    (129025, "positionRapidUpdate", {"latitude": 60.123456, "longitude": -24.5}, None, SELF,
     {"navigation.position": {"latitude": 60.123456, "longitude": -24.5}}),
    (129026, "cogSogRapidUpdate", {"cogReference": 0, "cog": 2.5, "sog": 3.1}, None, SELF,
     {"navigation.courseOverGroundTrue": 2.5, "navigation.speedOverGround": 3.1}),
    (129029, "gnssPositionData",
     {"date": 19884, "time": 3600, "latitude": 60.5, "longitude": 24.25, "altitude": 12.0, "gnssType": 2,
      "method": 1, "integrity": 0, "numberOfSvs": 9, "hdop": 0.9, "pdop": 1.5, "geoidalSeparation": 17.0},
     None, SELF,
     {"navigation.position": {"latitude": 60.5, "longitude": 24.25},
      "navigation.datetime": "2024-06-10T01:00:00.000Z", "navigation.gnss.antennaAltitude": 12.0,
      "navigation.gnss.satellites": 9.0, "navigation.gnss.horizontalDilution": 0.9,
      "navigation.gnss.positionDilution": 1.5, "navigation.gnss.geoidalSeparation": 17.0,
      # labels as n2k-signalk's test/129029_position_data.js expects them
      "navigation.gnss.type": "Combined GPS/GLONASS", "navigation.gnss.methodQuality": "GNSS Fix",
      "navigation.gnss.integrity": "no Integrity checking"}),
    (129033, "timeDate", {"date": 19884, "time": 7200, "localOffset": 0}, None, SELF,
     {"navigation.datetime": "2024-06-10T02:00:00.000Z"}),
    (129038, "aisClassAPositionReport",
     {"messageId": 1, "userId": MMSI, "latitude": 52.1, "longitude": 4.2, "sog": 3.0, "cog": 1.2,
      "heading": 1.1, "rateOfTurn": 0.001, "navStatus": 8}, None, AIS,
     {"navigation.position": {"latitude": 52.1, "longitude": 4.2}, "navigation.speedOverGround": 3.0,
      "navigation.courseOverGroundTrue": 1.2, "navigation.headingTrue": 1.1,
      "navigation.rateOfTurn": 0.001, "navigation.state": "sailing"}),
    (129039, "aisClassBPositionReport",
     {"messageId": 18, "userId": MMSI, "latitude": -33.5, "longitude": 151.25, "sog": 2.0, "cog": 3.0,
      "heading": 3.1}, None, AIS,
     {"navigation.position": {"latitude": -33.5, "longitude": 151.25}, "navigation.speedOverGround": 2.0,
      "navigation.courseOverGroundTrue": 3.0, "navigation.headingTrue": 3.1}),
    (129040, "aisClassBExtendedPositionReport",
     {"messageId": 19, "userId": MMSI, "latitude": 10.0, "longitude": 20.0, "sog": 1.0, "cog": 0.5,
      "trueHeading": 0.6, "typeOfShip": 37, "length": 11.0, "beam": 3.6,
      "positionReferenceFromStarboard": 1.0, "positionReferenceFromBow": 4.0, "name": "WANDERER"},
     None, AIS,
     {"navigation.position": {"latitude": 10.0, "longitude": 20.0}, "navigation.speedOverGround": 1.0,
      "navigation.courseOverGroundTrue": 0.5, "navigation.headingTrue": 0.6, "name": "WANDERER",
      "design.length": {"overall": 11.0}, "design.aisShipType": {"id": 37, "name": "Pleasure"},
      "design.beam": 3.6, "sensors.ais.fromBow": 4.0, "sensors.ais.fromCenter": 0.8}),
    (129041, "aisAidsToNavigationAtonReport",
     {"messageId": 21, "userId": MMSI, "latitude": 51.0, "longitude": 1.5, "lengthDiameter": 5.0,
      "beamDiameter": 2.0, "positionReferenceFromStarboardEdge": 1.0, "atonType": 24,
      "atonName": "BUOY 7"}, None, AIS,
     {"name": "BUOY 7", "navigation.position": {"latitude": 51.0, "longitude": 1.5},
      "design.length": {"overall": 5.0}, "design.beam": 2.0, "sensors.ais.fromCenter": 0.0,
      "atonType": {"id": 24, "name": "Floating AtoN: port hand mark"}}),
    (129284, "navigationData",
     {"distanceToWaypoint": 1934.5, "courseBearingReference": 0, "calculationType": 0,
      "bearingOriginToDestinationWaypoint": 3.9, "bearingPositionToDestinationWaypoint": 3.95,
      "destinationLatitude": -17.69, "destinationLongitude": 177.37, "waypointClosingVelocity": 2.5},
     None, SELF,
     {"navigation.courseGreatCircle.bearingTrackTrue": 3.9,
      "navigation.courseGreatCircle.nextPoint.distance": 1934.5,
      "navigation.courseGreatCircle.nextPoint.velocityMadeGood": 2.5,
      "navigation.courseGreatCircle.nextPoint.bearingTrue": 3.95,
      "navigation.courseGreatCircle.nextPoint.position": {"latitude": -17.69, "longitude": 177.37}}),
    # after the 129284 above: its calculation type names the path, as in n2k-signalk
    (129283, "crossTrackError", {"xteMode": 0, "navigationTerminated": 0, "xte": -2.5}, None, SELF,
     {"navigation.courseGreatCircle.crossTrackError": -2.5}),
    (129291, "setDriftRapidUpdate", {"setReference": 0, "set": 1.0, "drift": 0.5}, None, SELF,
     {"environment.current": {"setTrue": 1.0, "drift": 0.5}}),
    (129539, "gnssDops", {"desiredMode": 3, "actualMode": 3, "hdop": 1.1, "vdop": 1.4, "tdop": 1.0},
     None, SELF, {"navigation.gnss.horizontalDilution": 1.1}),
    (129540, "gnssSatsInView", {"rangeResidualMode": 0, "satsInView": 2},
     [[{"prn": 5, "elevation": 0.5, "azimuth": 1.0, "snr": 40, "status": 2},
       {"prn": 7, "elevation": 0.25, "azimuth": 2.0, "snr": 30, "status": 2}]], SELF,
     {"navigation.gnss.satellitesInView": {"count": 2, "satellites": [
         {"id": 5, "elevation": 0.5, "azimuth": 1.0, "SNR": 40.0},
         {"id": 7, "elevation": 0.25, "azimuth": 2.0, "SNR": 30.0}]}}),
    (129794, "aisClassAStaticAndVoyageRelatedData",
     {"messageId": 5, "userId": MMSI, "callsign": "PA1234", "name": "TEST SHIP", "typeOfShip": 70,
      "length": 120.0, "beam": 20.0, "positionReferenceFromStarboard": 12.0,
      "positionReferenceFromBow": 100.0, "draft": 7.5, "destination": "ROTTERDAM"}, None, AIS,
     {"name": "TEST SHIP", "navigation.destination.commonName": "ROTTERDAM",
      "design.draft": {"maximum": 7.5}, "design.length": {"overall": 120.0},
      "design.aisShipType": {"id": 70, "name": "Cargo"}, "design.beam": 20.0,
      "sensors.ais.fromBow": 100.0, "sensors.ais.fromCenter": -2.0}),
    (129809, "aisClassBStaticDataMsg24PartA", {"messageId": 24, "userId": MMSI, "name": "LITTLE ONE"},
     None, AIS, {"name": "LITTLE ONE"}),
    (129810, "aisClassBStaticDataMsg24PartB",
     {"messageId": 24, "userId": MMSI, "typeOfShip": 36, "length": 9.0, "beam": 3.0,
      "positionReferenceFromStarboard": 2.0, "positionReferenceFromBow": 5.0}, None, AIS,
     {"design.length": {"overall": 9.0}, "design.aisShipType": {"id": 36, "name": "Sailing"},
      "design.beam": 3.0, "sensors.ais.fromBow": 5.0, "sensors.ais.fromCenter": -0.5}),
    (130306, "windData", {"windSpeed": 5.5, "windAngle": 4.0, "reference": 2}, None, SELF,
     {"environment.wind.speedApparent": 5.5, "environment.wind.angleApparent": 4.0 - 2 * math.pi}),
    (130310, "environmentalParametersObsolete",
     {"waterTemperature": 288.0, "outsideAmbientAirTemperature": 293.0, "atmosphericPressure": 101300},
     None, SELF, {"environment.water.temperature": 288.0, "environment.outside.temperature": 293.0,
                  "environment.outside.pressure": 101300.0}),
    (130311, "environmentalParameters",
     {"temperatureSource": 1, "humiditySource": 0, "temperature": 291.0, "humidity": 0.6,
      "atmosphericPressure": 101200}, None, SELF,
     {"environment.outside.temperature": 291.0, "environment.inside.humidity": 0.6,
      "environment.outside.pressure": 101200.0}),
    (130312, "temperature", {"instance": 3, "source": 5, "actualTemperature": 285.0}, None, SELF,
     {"tanks.liveWell.3.temperature": 285.0}),
    (130316, "temperatureExtendedRange", {"instance": 1, "source": 14, "temperature": 600.0}, None, SELF,
     {"propulsion.1.exhaustTemperature": 600.0}),
    (130577, "directionData", {"dataMode": 0, "cogReference": 0, "cog": 1.0, "sog": 2.0, "set": 0.5,
                               "drift": 0.25}, None, SELF,
     {"navigation.courseOverGroundTrue": 1.0, "navigation.speedOverGround": 2.0,
      "environment.current": {"setTrue": 0.5, "drift": 0.25}}),
    # The PGNs beyond the list, expected values from n2k-signalk's own tests where
    # they have one (named per case), in SI units as canboat decodes them today.
    # test/127258_variation.js gives 16.1 (degrees, from canboat's old units); here rad
    (127258, "magneticVariation", {"source": 1, "variation": 0.161}, None, SELF,
     {"navigation.magneticVariation": 0.161}),
    # no n2k-signalk test for 130313: the paths of its humidityMappings.js
    (130313, "humidity", {"instance": 2, "source": 0, "actualHumidity": 0.55}, None, SELF,
     {"environment.inside.2.relativeHumidity": 0.55}),
    (130313, "humidity", {"instance": 0, "source": 1, "actualHumidity": 0.8}, None, SELF,
     {"environment.outside.humidity": 0.8}),
    # test/130314-data.json (test/130314_pressure_new.js): atmospheric and water pressure
    (130314, "actualPressure", {"instance": 0, "source": 0, "pressure": 100578}, None, SELF,
     {"environment.outside.pressure": 100578.0}),
    (130314, "actualPressure", {"instance": 2, "source": 1, "pressure": 180911.6}, None, SELF,
     {"water.2.pressure": 180911.6}),
    # test/127501_switch_bank_status.js: bank 0, indicators 1 and 3 on, 2 and 4-7 off
    (127501, "binarySwitchBankStatus",
     {"instance": 0, "indicator1": 1, "indicator2": 0, "indicator3": 1, "indicator4": 0, "indicator5": 0,
      "indicator6": 0, "indicator7": 0}, None, SELF,
     {f"electrical.switches.bank.0.{i}.state": 1.0 if i in (1, 3) else 0.0 for i in range(1, 8)}),
    # test/127507_charger_status.js: charger 113 disabled, standalone, off (canboat 9 spells
    # the mode "Standalone", the old analyzer "Standalone mode"); paths of pgns/127507.ts
    (127507, "chargerStatus",
     {"instance": 113, "batteryInstance": 0, "operatingState": 8, "chargeMode": 0, "enabled": 0,
      "equalizationPending": 1, "equalizationTimeRemaining": 600}, None, SELF,
     {"electrical.chargers.113.operatingState": "disabled",
      "electrical.chargers.113.chargeMode": "standalone", "electrical.chargers.113.enabled": False,
      "electrical.chargers.113.equalizationPending": True,
      "electrical.chargers.113.equalizationTimeRemaining": 600.0}),
    # test/127237_heading_track_control.js: magnetic heading-to-steer 3.2115
    (127237, "headingTrackControl", {"headingReference": 1, "headingToSteerCourse": 3.2115, "track": 0.0},
     None, SELF, {"steering.autopilot.target.headingMagnetic": 3.2115}),
    # no heading reference: True, as pgns/127237.ts decides
    (127237, "headingTrackControl", {"headingToSteerCourse": 1.25}, None, SELF,
     {"steering.autopilot.target.headingTrue": 1.25}),
    # test/127493_transmission_params.js: port, Forward, 489 hPa (48900 Pa), 443 K
    (127493, "transmissionParametersDynamic",
     {"instance": 0, "transmissionGear": 0, "oilPressure": 48900, "oilTemperature": 443}, None, SELF,
     {"propulsion.port.transmission.oilTemperature": 443.0,
      "propulsion.port.transmission.gear": "Forward",
      "propulsion.port.transmission.oilPressure": 48900.0}),
    # test/127497_trip_params.js: starboard engine, m³ and m³/s
    (127497, "tripParametersEngine",
     {"instance": 1, "tripFuelUsed": 4.271, "fuelRateAverage": 0.0000277778, "fuelRateEconomy": 0.000025,
      "instantaneousFuelEconomy": 0.0000583333}, None, SELF,
     {"propulsion.starboard.trip.fuelUsed": 4.271,
      "propulsion.starboard.trip.fuelRate.average": 0.0000277778,
      "propulsion.starboard.trip.fuelRate.economy": 0.000025,
      "propulsion.starboard.trip.fuelRate.instantaneousEconomy": 0.0000583333}),
    # test/129285_route_info.js: route "Route", waypoints 240-242
    (129285, "navigationRouteWpInformation",
     {"startRps": 12, "nitems": 3, "databaseId": 0, "routeId": 0, "navigationDirectionInRoute": 3,
      "supplementaryRouteWpDataAvailable": 1, "routeName": "Route"},
     [[{"wpId": 12, "wpName": "Waypoint 240", "wpLatitude": 39.1525868, "wpLongitude": -76.1811988},
       {"wpId": 13, "wpName": "Waypoint 241", "wpLatitude": 39.1568741, "wpLongitude": -76.1834715},
       {"wpId": 14, "wpName": "Waypoint 242", "wpLatitude": 39.159168, "wpLongitude": -76.182178}]], SELF,
     {"navigation.currentRoute.name": "Route", "navigation.currentRoute.waypoints": [
         {"name": "Waypoint 240", "position": {"value": {"latitude": 39.1525868, "longitude": -76.1811988}}},
         {"name": "Waypoint 241", "position": {"value": {"latitude": 39.1568741, "longitude": -76.1834715}}},
         {"name": "Waypoint 242", "position": {"value": {"latitude": 39.159168, "longitude": -76.182178}}}]}),
    # test/129793_ais_base_station_data.js: base station 002442103
    (129793, "aisUtcAndDateReport",
     {"messageId": 4, "userId": 2442103, "longitude": 4.5183933, "latitude": 51.899435, "positionAccuracy": 1,
      "raim": 1}, None, BASE_STATION,
     {"navigation.position": {"latitude": 51.899435, "longitude": 4.5183933}, "sensors.ais.class": "BASE"}),
    # test/129798_sar.js: SAR aircraft 338254261, no altitude in the test's message
    (129798, "aisSarAircraftPositionReport",
     {"messageId": 9, "userId": 338254261, "longitude": -75.8338099, "latitude": 39.6475617, "cog": 2.227,
      "sog": 694.4}, None, SAR,
     {"navigation.speedOverGround": 694.4, "navigation.courseOverGroundTrue": 2.227,
      "navigation.position": {"latitude": 39.6475617, "longitude": -75.8338099},
      "sensors.ais.class": "SAR"}),
    # with an altitude: pgns/129798.js adds it to the position
    (129798, "aisSarAircraftPositionReport",
     {"messageId": 9, "userId": 338254261, "longitude": -75.8, "latitude": 39.6, "altitude": 300.0},
     None, SAR,
     {"navigation.position": {"latitude": 39.6, "longitude": -75.8, "altitude": 300.0},
      "sensors.ais.class": "SAR"}),
]  # fmt: skip

REQUIRED = {
    126992, 127245, 127250, 127251, 127257, 127488, 127489, 127505, 127506, 127508, 127513,
    128259, 128267, 128275, 129025, 129026, 129029, 129033, 129038, 129039, 129040, 129041,
    129283, 129284, 129291, 129539, 129540, 129794, 129809, 129810, 130306, 130310, 130311,
    130312, 130316, 130577,
}  # fmt: skip
# Further PGNs n2k-signalk maps (issue 10's item 3 beyond its list).
MORE = {
    127237, 127258, 127493, 127497, 127501, 127507, 129285, 129793, 129798, 130313, 130314,
}  # fmt: skip


def messages(src: int = 7):
    """(time, prio, pgn, src, dst, payload) of every case, a second apart."""
    return [
        (T0 + i, 3, pgn, src, 255, payload(pgn_id, fields, sets))
        for i, (pgn, pgn_id, fields, sets, *_) in enumerate(CASES)
    ]


def log_lines(writer, msgs) -> list[str]:
    return [line for m in msgs for line in writer(*m)]


def approx(value):
    if isinstance(value, dict):
        return {k: approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [approx(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-4, abs=1e-4)
    return value


def expected_observations() -> dict:
    """(vessel, path) → the values the cases give it, in order (several PGNs give some)."""
    out: dict = {}
    for *_, vessel, paths in CASES:
        for path, value in paths.items():
            out.setdefault((vessel, path), []).append(value)
    return out


def test_every_required_pgn_is_in_the_table_and_the_cases():
    assert MAPPING.keys() == REQUIRED | MORE
    assert {c[0] for c in CASES} == REQUIRED | MORE


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_known_values_through_every_format(fmt):
    """Encoded payloads, written as each log format, come back as the same SI values."""
    lines = log_lines(WRITERS[fmt], messages())
    assert sniff(lines) is not None
    decoder = n2k.Decoder(source="bus", base_time=T0 + 60)
    out = [o for line in lines for o in decoder.feed(line)]
    assert decoder.report.rejected_total == 0, decoder.report.format()
    got: dict = {}
    for o in out:
        got.setdefault((o.vessel, o.path), []).append(o.value)
        assert o.source == "bus.7"
    for key, values in expected_observations().items():
        assert got.get(key) == approx(values), f"{key} ({fmt})"
    assert {o.path for o in out} >= {p for *_, paths in CASES for p in paths}
    assert sum(decoder.report.accepted.values()) == len(CASES)


def test_times_come_from_the_log():
    lines = log_lines(WRITERS["candump_log"], messages())
    out = n2k.decode_lines(lines, source="x")
    depth = next(o for o in out if o.path == "environment.depth.belowTransducer")
    index = next(i for i, c in enumerate(CASES) if c[0] == 128267)
    assert depth.time == pytest.approx(T0 + index, abs=1e-3)


def test_times_of_day_are_dated_by_a_dated_pgn_then_cross_midnight():
    """YDRAW carries times of day: the 129029 date anchors them, midnight rolls the day."""
    gnss = payload(
        "gnssPositionData", {"date": 19884, "time": 86399, "latitude": 1.0, "longitude": 2.0}
    )
    depth = payload("waterDepth", {"depth": 5.0})
    day = 19884 * 86400.0
    lines = (
        WRITERS["ydraw"](day + 86399, 3, 129029, 1, 255, gnss)
        + WRITERS["ydraw"](day + 86399.5, 3, 128267, 2, 255, depth)
        + WRITERS["ydraw"](day + 86400.5, 3, 128267, 2, 255, depth)
    )
    out = n2k.decode_lines(lines, base_time=day - 30 * 86400)  # a wrong hint: the PGN wins
    times = [o.time for o in out if o.path == "environment.depth.belowTransducer"]
    assert times == [pytest.approx(day + 86399.5), pytest.approx(day + 86400.5)]


def test_two_gps_keep_their_source_labels():
    a = payload("positionRapidUpdate", {"latitude": 50.0, "longitude": 1.0})
    b = payload("positionRapidUpdate", {"latitude": 50.001, "longitude": 1.001})
    lines = canboat(T0, 2, 129025, 3, 255, a) + canboat(T0, 2, 129025, 5, 255, b)
    out = n2k.decode_lines(lines, source="nmea2000")
    assert [(o.source, o.value["latitude"]) for o in out] == [
        ("nmea2000.3", pytest.approx(50.0)),
        ("nmea2000.5", pytest.approx(50.001)),
    ]


def test_fast_packets_interleaved_from_two_senders_reassemble():
    a = payload(
        "gnssPositionData", {"date": 19884, "time": 10, "latitude": 10.0, "longitude": 20.0}
    )
    b = payload(
        "gnssPositionData", {"date": 19884, "time": 10, "latitude": -10.0, "longitude": -20.0}
    )
    fa, fb = frames(129029, a), frames(129029, b)
    decoder = n2k.Decoder()
    out = []
    for x, y in zip(fa, fb, strict=True):
        for src, data in ((1, x), (2, y)):
            line = f"({T0:.6f}) can0 {0x0DF80500 | src:08X}#{data.hex()}"
            out += decoder.feed(line)
    positions = {o.source: o.value for o in out if o.path == "navigation.position"}
    assert positions == {
        "n2k.1": approx({"latitude": 10.0, "longitude": 20.0}),
        "n2k.2": approx({"latitude": -10.0, "longitude": -20.0}),
    }


def test_lost_frames_unknown_pgns_and_garbage_are_counted_never_raised():
    data = payload(
        "gnssPositionData", {"date": 19884, "time": 10, "latitude": 1.0, "longitude": 2.0}
    )
    parts = frames(129029, data)
    ident = 0x0DF80507
    lines = [f"({T0:.6f}) can0 {ident:08X}#{f.hex()}" for i, f in enumerate(parts) if i != 2]
    lines += [
        f"({T0:.6f}) can0 0DF01807#0102",  # PGN 127000: not in canboat
        "(1718000000.0) can0 ZZZZ#0102",
        "  can0  09F80107   [8]  01 02",  # length says 8, two bytes follow
        "2024-06-10T06:13:20.250Z,3,129025,1,255,8,01,02",  # length 8, two bytes
        "A061320.250 0100F 1F801 0102XYZ",
        "not a frame at all",
        "$GPRMC,1,2,3*00",
    ]
    decoder = n2k.Decoder(base_time=T0)
    out = [o for line in lines for o in decoder.feed(line)]
    assert out == []
    rejected = decoder.report.rejected
    assert rejected[n2k.FAST_PACKET_LOST] >= 1
    assert rejected[n2k.UNKNOWN_PGN] == 1
    assert rejected[n2k.MALFORMED] == 4
    assert rejected[n2k.NOT_N2K] == 2


def test_random_bytes_never_raise():
    rng = random.Random(7)
    decoder = n2k.Decoder(base_time=T0)
    for _ in range(2000):
        pgn = rng.choice(sorted(MAPPING))
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 9)))
        decoder.feed(f"({T0:.6f}) can0 {0x0C000000 | (pgn << 8) | 9:08X}#{data.hex()}")
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        decoder.feed(
            f"{'2024-06-10T06:13:20Z'},3,{pgn},1,255,{len(blob)},{','.join(f'{b:02x}' for b in blob)}"
        )
    assert decoder.report.lines == 4000


def test_nmea0183_is_not_sniffed_as_n2k():
    assert sniff(["$GPRMC,120000.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,*00"] * 5) is None
    assert sniff(["1714564800.0 $SDDBT,22.6,f,6.9,M,3.8,F*34"] * 5) is None
    assert sniff(log_lines(WRITERS["actisense"], messages())) == "actisense"
    assert sniff(log_lines(WRITERS["ydraw"], messages())) == "ydraw"
    assert sniff(log_lines(WRITERS["candump_plain"], messages())) == "candump"
    assert sniff(log_lines(WRITERS["canboat"], messages())) == "canboat"


def test_mapping_doc_lists_exactly_the_n2k_table():
    from pathlib import Path

    from isomer_data.ingest.n2k.mapping import documented_pairs

    doc = Path(__file__).parents[2] / "docs" / "signalk-mapping.md"
    pairs = set()
    for line in doc.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit() and len(cells[0]) == 6:
            pairs.add((int(cells[0]), cells[2]))
    assert pairs == documented_pairs()


def test_can_messages_that_are_not_nmea2000_are_counted():
    import can

    decoder = n2k.Decoder()
    depth = payload("waterDepth", {"depth": 3.0})
    good = can.Message(arbitration_id=0x09F50B09, data=depth, is_extended_id=True)
    bad = [
        can.Message(arbitration_id=0x123, data=b"\x01", is_extended_id=False),  # 11-bit id
        can.Message(arbitration_id=0x09F50B09, is_extended_id=True, is_remote_frame=True),
        can.Message(arbitration_id=0x09F50B09, data=bytes(64), is_extended_id=True, is_fd=True),
    ]
    assert [o.path for o in decoder.feed(good, received=T0)] == [
        "environment.depth.belowTransducer"
    ]
    assert all(decoder.feed(m, received=T0) == [] for m in bad)
    assert decoder.report.rejected[n2k.MALFORMED] == 3


def test_times_of_day_before_the_first_dated_pgn_are_dated_by_it():
    """A file ingest looks ahead: the 129029 two minutes in dates the depths before it."""
    day = 19884 * 86400.0
    depth = payload("waterDepth", {"depth": 5.0})
    lines = []
    for i in range(120):
        lines += WRITERS["actisense"](day + 3600 + i, 3, 128267, 2, 255, depth)
    gnss = payload(
        "gnssPositionData", {"date": 19884, "time": 3720, "latitude": 1.0, "longitude": 2.0}
    )
    lines += WRITERS["actisense"](day + 3720, 3, 129029, 1, 255, gnss)
    cols = n2k.decode_batch(lines, base_time=day + 5 * 86400)  # mtime five days later
    times = cols.time[cols.path == cols.paths.index("environment.depth.belowTransducer")]
    assert times[0] == pytest.approx(day + 3600)
    assert times[-1] == pytest.approx(day + 3719)


def test_observations_keep_the_rule_that_dated_them():
    """Logger time stamps, times of day dated by a PGN or by the file's time, receive times."""
    from isomer_data.ingest.clock import GPS, LOGGER, MTIME, RECEIVE_TIME

    depth = payload("waterDepth", {"depth": 5.0})
    # canboat plain text: the logger wrote the full time
    out = n2k.decode_lines(canboat(T0, 3, 128267, 2, 255, depth))
    assert [o.time_source for o in out] == [LOGGER]
    # times of day: the file's time dates them until a dated PGN, then GPS
    day = 19884 * 86400.0
    gnss = payload(
        "gnssPositionData", {"date": 19884, "time": 3602, "latitude": 1.0, "longitude": 2.0}
    )
    lines = (
        WRITERS["ydraw"](day + 3600, 3, 128267, 2, 255, depth)
        + WRITERS["ydraw"](day + 3602, 3, 129029, 1, 255, gnss)
        + WRITERS["ydraw"](day + 3603, 3, 128267, 2, 255, depth)
    )
    report = n2k.IngestReport()
    out = n2k.decode_lines(lines, base_time=day + 7200, report=report)
    rules = [o.time_source for o in out if o.path == "environment.depth.belowTransducer"]
    assert rules == [MTIME, GPS]
    # the dated PGN's own values still stand on the guessed day: dated by the file's time
    assert report.dated == {MTIME: len(out) - 1, GPS: 1}
    # file ingest looks ahead: the dated PGN dates the lines before it too, in the columns
    cols = n2k.decode_batch(lines, base_time=day + 7200)
    assert {cols.time_sources[c] for c in cols.time_source.tolist()} == {GPS}
    # a live CAN frame: the time it was received
    import can

    frame = can.Message(arbitration_id=0x09F50B09, data=depth, is_extended_id=True)
    decoder = n2k.Decoder()
    assert [o.time_source for o in decoder.feed(frame, received=T0)] == [RECEIVE_TIME]
    # a live time of day before any dated PGN: dated by the receive time
    assert [o.time_source for o in decoder.feed(lines[0], received=T0)] == [RECEIVE_TIME]


def test_repeated_payloads_decode_alike_and_the_memo_stays_bounded():
    """The last payload of each (PGN, sender) is kept decoded: a repeat gives the same observations,
    the stream's state still counts (129283 follows the last 129284), values are never
    shared between observations, and the memo never grows past its bound."""
    nav = {"distanceToWaypoint": 100.0, "courseBearingReference": 0, "bearingOriginToDestinationWaypoint": 1.0,
           "bearingPositionToDestinationWaypoint": 1.0, "destinationLatitude": 1.0,
           "destinationLongitude": 2.0, "waypointClosingVelocity": 1.0}  # fmt: skip
    great = payload("navigationData", {**nav, "calculationType": 0})
    rhumb = payload("navigationData", {**nav, "calculationType": 1})
    xte = payload("crossTrackError", {"xteMode": 0, "navigationTerminated": 0, "xte": -2.5})
    pos = payload("positionRapidUpdate", {"latitude": 50.0, "longitude": -1.0})
    d = n2k.Decoder()
    seq = [(129284, great), (129283, xte), (129284, rhumb), (129283, xte), (129284, great)]
    seq += [(129283, xte), (129025, pos), (129025, pos)]
    out = [d.feed(canboat(T0 + k, 2, pgn, 3, 255, data)[0]) for k, (pgn, data) in enumerate(seq)]
    xtes = [o.path for obs in out for o in obs if o.path.endswith("crossTrackError")]
    assert xtes == [
        "navigation.courseGreatCircle.crossTrackError",
        "navigation.courseRhumbline.crossTrackError",
        "navigation.courseGreatCircle.crossTrackError",
    ]
    first, second = out[-2][0], out[-1][0]
    assert first.value == second.value == {"latitude": 50.0, "longitude": -1.0}
    assert first.value is not second.value
    first.value["latitude"] = 0.0  # a consumer changing one value changes no other
    assert d.feed(canboat(T0 + 9, 2, 129025, 3, 255, pos)[0])[0].value["latitude"] == 50.0
    depths = [payload("waterDepth", {"depth": k * 0.5, "offset": 0.5}) for k in range(3)]
    for k in range(6):  # a payload that changes, then repeats: each decoded as it is
        got = d.feed(canboat(T0 + 10, 3, 128267, 6, 255, depths[k % 3])[0])
        assert got[0].value == (k % 3) * 0.5
    kinds = [(127250, "vesselHeading", {"heading": 1.0, "reference": 0}),
             (128267, "waterDepth", {"depth": 3.0, "offset": 0.5}),
             (129026, "cogSogRapidUpdate", {"cogReference": 0, "cog": 1.0, "sog": 3.0}),
             (130306, "windData", {"windSpeed": 6.0, "windAngle": 0.5, "reference": 2}),
             (127245, "rudder", {"instance": 0, "position": -0.1})]  # fmt: skip
    for pgn, name, values in kinds:  # more (PGN, sender) pairs than the memo holds
        data = payload(name, values)
        for src in range(256):
            assert d.feed(canboat(T0 + 11, 3, pgn, src, 255, data)[0])
            assert len(d._memo) <= n2k.MEMO_SIZE
    assert len(kinds) * 256 > n2k.MEMO_SIZE
    assert d.report.rejected.total() == 0


def test_humidity_and_pressure_sources_without_a_path_give_nothing_and_count():
    """130313/130314 sources n2k-signalk's tables do not name (its ``userDefined`` paths) are
    decoded and counted, not stored under a guessed path; 127237's True reference."""
    msgs = [
        (T0, 5, 130313, 9, 255, payload("humidity", {"instance": 1, "source": 7, "actualHumidity": 0.5})),
        (T0 + 1, 5, 130314, 9, 255, payload("actualPressure", {"instance": 1, "source": 12, "pressure": 2000})),
        (T0 + 2, 2, 127237, 9, 255, payload("headingTrackControl", {"headingReference": 0, "headingToSteerCourse": 0.5})),
    ]  # fmt: skip
    decoder = n2k.Decoder()
    out = [o for line in log_lines(canboat, msgs) for o in decoder.feed(line)]
    assert [(o.path, o.value) for o in out] == [
        ("steering.autopilot.target.headingTrue", pytest.approx(0.5))
    ]
    assert sum(decoder.report.accepted.values()) == 3
    assert decoder.report.rejected_total == 0
