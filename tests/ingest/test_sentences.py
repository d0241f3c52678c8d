"""Each mapped sentence type against SI values computed by hand."""

import math

import pytest
from isomer_data.ingest.decode import Decoder
from isomer_data.ingest.sentences import SENTENCES

from isomer_data.samples.voyage import with_checksum

T0 = 1714564800.0  # 2024-05-01T12:00:00Z


def values(body: str, received: float = T0) -> dict:
    decoder = Decoder()
    observations = decoder.feed(with_checksum(body), received=received)
    assert decoder.report.rejected_total == 0, decoder.report.format()
    return {o.path: o.value for o in observations}


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def test_rmc_gives_position_speed_course_variation_and_datetime():
    decoder = Decoder()
    line = with_checksum("GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W")
    obs = decoder.feed(line)
    got = {o.path: o.value for o in obs}
    assert got["navigation.position"] == {
        "latitude": approx(48.1173),
        "longitude": approx(11.516666666666667),
    }
    assert got["navigation.speedOverGround"] == approx(11.523555555555555)  # 22.4 kn
    assert got["navigation.courseOverGroundTrue"] == approx(1.4730578886832142)  # 84.4°
    assert got["navigation.magneticVariation"] == approx(-0.05410520681182422)  # 3.1° W
    assert got["navigation.datetime"] == "1994-03-23T12:35:19.000Z"
    assert {o.time for o in obs} == {764426119.0}
    assert {o.source for o in obs} == {"nmea0183.GP"}


def test_position_agrees_with_pynmea2():
    import pynmea2

    line = with_checksum("GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,")
    reference = pynmea2.parse(line)
    got = values(line[1:-3])["navigation.position"]
    assert got["latitude"] == pytest.approx(reference.latitude, abs=1e-9)
    assert got["longitude"] == pytest.approx(reference.longitude, abs=1e-9)


def test_gga_gnss_fields():
    got = values("GPGGA,123520,4807.038,S,01131.000,W,2,08,0.9,545.4,M,46.9,M,,")
    assert got["navigation.position"] == {
        "latitude": approx(-48.1173),
        "longitude": approx(-11.516666666666667),
    }
    assert got["navigation.gnss.methodQuality"] == "DGNSS fix"
    assert got["navigation.gnss.satellites"] == 8.0
    assert got["navigation.gnss.horizontalDilution"] == approx(0.9)
    assert got["navigation.gnss.antennaAltitude"] == approx(545.4)
    assert got["navigation.gnss.geoidalSeparation"] == approx(46.9)


def test_gga_without_fix_is_void():
    decoder = Decoder()
    assert decoder.feed(with_checksum("GPGGA,123520,,,,,0,00,,,M,,M,,"), received=T0) == []
    assert decoder.report.rejected == {"void_status": 1}


def test_gll_and_gns_positions():
    assert values("GPGLL,4916.45,N,12311.12,W,225444,A,A")["navigation.position"] == {
        "latitude": approx(49.274166666666666),
        "longitude": approx(-123.18533333333333),
    }
    got = values("GNGNS,014035.00,4332.69262,S,17235.48549,E,RR,13,0.9,25.63,11.24,,")
    assert got["navigation.position"]["latitude"] == approx(-(43 + 32.69262 / 60))
    assert got["navigation.gnss.satellites"] == 13.0


def test_vtg_true_magnetic_course_and_speed():
    got = values("GPVTG,054.7,T,034.4,M,005.5,N,010.2,K")
    assert got["navigation.courseOverGroundTrue"] == approx(54.7 * math.pi / 180)
    assert got["navigation.courseOverGroundMagnetic"] == approx(34.4 * math.pi / 180)
    assert got["navigation.speedOverGround"] == approx(5.5 * 1852 / 3600)


def test_vtg_speed_falls_back_to_kmh():
    assert values("GPVTG,054.7,T,,M,,N,36.0,K")["navigation.speedOverGround"] == approx(10.0)


def test_hdt_hdm():
    assert values("HEHDT,274.07,T") == {"navigation.headingTrue": approx(4.783423880940859)}
    assert values("HCHDM,180.0,M") == {"navigation.headingMagnetic": approx(math.pi)}


def test_hdg_applies_deviation_and_variation():
    got = values("HCHDG,98.3,2.0,E,1.5,W")
    deg = math.pi / 180
    assert got["navigation.headingCompass"] == approx(98.3 * deg)
    assert got["navigation.headingMagnetic"] == approx(100.3 * deg)
    assert got["navigation.headingTrue"] == approx((98.3 + 2.0 - 1.5) * deg)
    assert got["navigation.magneticDeviation"] == approx(2.0 * deg)
    assert got["navigation.magneticVariation"] == approx(-1.5 * deg)


def test_hdg_without_deviation_or_variation_gives_magnetic_only():
    assert values("HCHDG,98.3,,,,") == {"navigation.headingMagnetic": approx(98.3 * math.pi / 180)}


def test_dbt_uses_metres_then_feet():
    assert values("SDDBT,22.6,f,6.9,M,3.8,F") == {"environment.depth.belowTransducer": approx(6.9)}
    assert values("SDDBT,10.0,f,,M,,F") == {"environment.depth.belowTransducer": approx(3.048)}


def test_dbs():
    assert values("SDDBS,,f,12.3,M,,F") == {"environment.depth.belowSurface": approx(12.3)}


def test_dpt_positive_offset_is_surface_to_transducer():
    assert values("SDDPT,7.5,0.5") == {
        "environment.depth.belowTransducer": approx(7.5),
        "environment.depth.surfaceToTransducer": approx(0.5),
        "environment.depth.belowSurface": approx(8.0),
    }


def test_dpt_negative_offset_is_transducer_to_keel():
    assert values("SDDPT,7.5,-1.2,100") == {
        "environment.depth.belowTransducer": approx(7.5),
        "environment.depth.transducerToKeel": approx(1.2),
        "environment.depth.belowKeel": approx(6.3),
    }


def test_mtw_celsius_to_kelvin():
    assert values("YXMTW,13.5,C") == {"environment.water.temperature": approx(286.65)}


def test_mwv_relative_wraps_to_minus_pi_pi():
    got = values("WIMWV,270.0,R,10.0,N,A")
    assert got == {
        "environment.wind.angleApparent": approx(-math.pi / 2),
        "environment.wind.speedApparent": approx(10.0 * 1852 / 3600),
    }


def test_mwv_true_reference_goes_to_true_water_paths():
    got = values("WIMWV,045.0,T,36.0,K,A")
    assert got == {
        "environment.wind.angleTrueWater": approx(math.pi / 4),
        "environment.wind.speedTrue": approx(10.0),
    }


def test_mwv_invalid_status_is_void():
    decoder = Decoder()
    assert decoder.feed(with_checksum("WIMWV,045.0,T,36.0,K,V"), received=T0) == []
    assert decoder.report.rejected["void_status"] == 1


def test_mwd_prefers_metres_per_second():
    got = values("WIMWD,270.0,T,272.0,M,10.0,N,5.2,M")
    assert got["environment.wind.directionTrue"] == approx(1.5 * math.pi)
    assert got["environment.wind.directionMagnetic"] == approx(272.0 * math.pi / 180)
    assert got["environment.wind.speedTrue"] == approx(5.2)


def test_vhw_speed_through_water_and_headings():
    got = values("IIVHW,,T,,M,06.14,N,11.37,K")
    assert got == {"navigation.speedThroughWater": approx(6.14 * 1852 / 3600)}


def test_vlw_nautical_miles_to_metres():
    assert values("IIVLW,1234.5,N,12.5,N") == {
        "navigation.log": approx(1234.5 * 1852),
        "navigation.trip.log": approx(12.5 * 1852),
    }


def test_vwr_left_is_negative():
    assert values("IIVWR,75.0,L,12.0,N,6.2,M,22.2,K") == {
        "environment.wind.angleApparent": approx(-75 * math.pi / 180),
        "environment.wind.speedApparent": approx(12.0 * 1852 / 3600),
    }


def test_vwt_true_wind():
    assert values("IIVWT,030.,R,10.1,N,05.2,M,018.7,K") == {
        "environment.wind.angleTrueWater": approx(math.pi / 6),
        "environment.wind.speedTrue": approx(5.2),
    }


def test_xdr_temperature_pressure_angle_by_name_and_unknown_names_kept():
    got = values("IIXDR,C,10.7,C,AIRTEMP,P,1.026,B,BARO,A,-3.0,D,HEEL,U,12.6,V,BATT1")
    assert got["environment.outside.temperature"] == approx(283.85)
    assert got["environment.outside.pressure"] == approx(102600.0)
    assert got["navigation.attitude.roll"] == approx(-3.0 * math.pi / 180)
    assert got["sensors.xdr.BATT1.voltage"] == approx(12.6)


# The example sentences of xdr-parser-plugin (the dictionary Signal K's XDR handling uses,
# ``xdrParser.js``/``xdrDict.js``): ENV_OUTSIDE_H → environment.outside.humidity, x/100.
@pytest.mark.parametrize(
    "body, expected",
    [
        ("IIXDR,H,47.38,P,ENV_OUTSIDE_H", {"environment.outside.humidity": 0.4738}),
        (
            "IIXDR,C,28.7,C,ENV_OUTSIDE_T,P,101400,P,ENV_ATMOS_P,H,47.38,P,ENV_OUTSIDE_H",
            {
                "environment.outside.temperature": 301.85,
                "environment.outside.pressure": 101400.0,
                "environment.outside.humidity": 0.4738,
            },
        ),
        ("IIXDR,H,40.0,P,HUMIDITY", {"environment.outside.humidity": 0.4}),
    ],
)
def test_xdr_humidity_goes_where_mda_and_signal_k_put_it(body, expected):
    """MDA and XDR give relative humidity one path: the one Signal K's parsers emit."""
    got = values(body)
    assert got == {path: approx(value) for path, value in expected.items()}
    mda = values("WIMDA,,I,+0.985,B,+03.1,C,+5.6,C,40.0,3.0,+3.4,C,90.0,T,85.0,M,10.0,N,,M")
    assert mda["environment.outside.humidity"] == approx(0.4)  # test/MDA.ts
    assert "environment.outside.relativeHumidity" not in mda


def test_zda_sets_datetime():
    decoder = Decoder()
    obs = decoder.feed(with_checksum("GPZDA,201530.00,04,07,2002,00,00"))
    assert [(o.path, o.value) for o in obs] == [("navigation.datetime", "2002-07-04T20:15:30.000Z")]
    assert obs[0].time == 1025813730.0


def test_xte_left_is_positive_in_metres():
    assert values("GPXTE,A,A,0.67,L,N") == {
        "navigation.courseRhumbline.crossTrackError": approx(0.67 * 1852)
    }


def test_rmb_next_point():
    got = values("GPRMB,A,0.66,L,003,004,4917.24,N,12309.57,W,001.3,052.5,000.5,V")
    assert got["navigation.courseRhumbline.crossTrackError"] == approx(0.66 * 1852)
    assert got["navigation.courseRhumbline.previousPoint.ID"] == "003"
    assert got["navigation.courseRhumbline.nextPoint.ID"] == "004"
    assert got["navigation.courseRhumbline.nextPoint.position"] == {
        "latitude": approx(49.287333333333336),
        "longitude": approx(-123.1595),
    }
    assert got["navigation.courseRhumbline.nextPoint.distance"] == approx(1.3 * 1852)
    assert got["navigation.courseRhumbline.nextPoint.bearingTrue"] == approx(52.5 * math.pi / 180)
    assert got["navigation.courseRhumbline.nextPoint.velocityMadeGood"] == approx(0.5 * 1852 / 3600)


def test_apb_bearings_by_reference_letter():
    got = values("GPAPB,A,A,0.10,R,N,V,V,011,M,DEST,012,T,013,M")
    deg = math.pi / 180
    assert got["navigation.courseRhumbline.crossTrackError"] == approx(-0.10 * 1852)
    assert got["navigation.courseRhumbline.bearingTrackMagnetic"] == approx(11 * deg)
    assert got["navigation.courseRhumbline.nextPoint.bearingTrue"] == approx(12 * deg)
    assert got["navigation.courseRhumbline.nextPoint.ID"] == "DEST"
    assert got["steering.autopilot.target.headingMagnetic"] == approx(13 * deg)


def test_rot_degrees_per_minute_to_radians_per_second():
    assert values("TIROT,-60.0,A") == {"navigation.rateOfTurn": approx(-math.pi / 180)}


def test_rsa_rudder_angle():
    assert values("IIRSA,10.0,A,,V") == {"steering.rudderAngle": approx(10 * math.pi / 180)}


def test_every_required_sentence_type_has_a_row():
    required = "RMC GGA GLL GNS VTG HDT HDG HDM DBT DPT DBS MTW MWV MWD VHW VLW VWR VWT XDR ZDA XTE RMB APB ROT RSA"
    assert set(required.split()) <= SENTENCES.keys()


def test_any_talker_id_is_accepted():
    assert values("IIDBT,,f,3.0,M,,F") == values("SDDBT,,f,3.0,M,,F")
