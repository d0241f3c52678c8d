"""AIS: reassembly, mapping to Signal K, sentinels, own vessel."""

import math

import pytest
from isomer_data.ingest.ais import FragmentBuffer
from isomer_data.ingest.decode import Decoder
from pyais.encode import encode_dict

T0 = 1714564800.0
KNOT = 1852 / 3600


def ais(fields, sentence_type="VDM", seq_id=0):
    return encode_dict(fields, talker_id="AI", sentence_type=sentence_type, seq_id=seq_id)


def decode(lines, decoder=None):
    decoder = decoder or Decoder()
    return [o for line in lines for o in decoder.feed(line, received=T0)], decoder


def by_path(observations):
    return {o.path: o.value for o in observations}


def test_type_1_position_report():
    obs, _ = decode(
        ais(
            {
                "type": 1,
                "mmsi": 235009876,
                "status": 5,
                "speed": 12.5,
                "lat": 50.5,
                "lon": -1.25,
                "course": 90.0,
                "heading": 91,
            }
        )
    )
    assert {o.vessel for o in obs} == {"urn:mrn:imo:mmsi:235009876"}
    got = by_path(obs)
    assert got["navigation.position"] == {"latitude": 50.5, "longitude": -1.25}
    assert got["navigation.speedOverGround"] == pytest.approx(12.5 * KNOT)
    assert got["navigation.courseOverGroundTrue"] == pytest.approx(math.pi / 2)
    assert got["navigation.headingTrue"] == pytest.approx(91 * math.pi / 180)
    assert got["navigation.state"] == "moored"
    assert got["sensors.ais.class"] == "A"


def test_not_available_sentinels_are_dropped():
    obs, decoder = decode(
        ais(
            {
                "type": 18,
                "mmsi": 235001234,
                "speed": 102.3,
                "lat": 91,
                "lon": 181,
                "course": 360,
                "heading": 511,
            }
        )
    )
    assert by_path(obs) == {"sensors.ais.class": "B"}
    assert decoder.report.rejected_total == 0


def test_type_5_two_fragments_reassembled_with_static_data():
    lines = ais(
        {
            "type": 5,
            "mmsi": 235009876,
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
    )
    assert len(lines) == 2
    got = by_path(decode(lines)[0])
    assert got["name"] == "ISOMER TRADER"
    assert got["communication.callsignVhf"] == "MXYZ7"
    assert got["registrations.imo"] == "IMO 9123456"
    assert got["design.length"] == {"overall": 150.0}
    assert got["design.beam"] == 22.0
    assert got["design.draft"] == {"current": pytest.approx(7.4)}
    assert got["design.aisShipType"] == {"id": 70, "name": "Cargo"}
    assert got["navigation.destination.commonName"] == "SOUTHAMPTON"


def test_interleaved_fragments_on_different_sequence_ids():
    first = ais({"type": 5, "mmsi": 1, "shipname": "ONE", "destination": "A"}, seq_id=1)
    second = ais({"type": 5, "mmsi": 2, "shipname": "TWO", "destination": "B"}, seq_id=2)
    obs, _ = decode([first[0], second[0], first[1], second[1]])
    names = {o.vessel: o.value for o in obs if o.path == "name"}
    assert names == {"urn:mrn:imo:mmsi:1": "ONE", "urn:mrn:imo:mmsi:2": "TWO"}


def test_orphan_second_fragment_is_counted_lost():
    lines = ais({"type": 5, "mmsi": 1, "shipname": "ONE"})
    obs, decoder = decode([lines[1]])
    assert obs == [] and decoder.report.rejected["ais_fragment_lost"] == 1


def test_fragment_buffer_is_bounded():
    buffer = FragmentBuffer(max_pending=2)
    for seq in "123":
        buffer.add("x", ["AIVDM", "2", "1", seq, "A", "", "0"])
    assert len(buffer.pending) == 2 and buffer.lost == 1


def test_type_18_and_24_class_b():
    obs, _ = decode(
        ais(
            {
                "type": 18,
                "mmsi": 235001234,
                "speed": 5.2,
                "lat": 50.1,
                "lon": -1.2,
                "course": 315.0,
                "heading": 511,
            }
        )
        + ais({"type": 24, "mmsi": 235001234, "partno": 0, "shipname": "SEA URCHIN"})
        + ais(
            {
                "type": 24,
                "mmsi": 235001234,
                "partno": 1,
                "ship_type": 36,
                "callsign": "MABC1",
                "to_bow": 6,
                "to_stern": 5,
                "to_port": 2,
                "to_starboard": 2,
            }
        )
    )
    got = by_path(obs)
    assert got["navigation.speedOverGround"] == pytest.approx(5.2 * KNOT)
    assert "navigation.headingTrue" not in got
    assert got["name"] == "SEA URCHIN"
    assert got["design.aisShipType"] == {"id": 36, "name": "Sailing"}
    assert got["design.length"] == {"overall": 11.0}
    assert got["design.beam"] == 4.0


def test_type_19_extended_class_b():
    got = by_path(
        decode(
            ais(
                {
                    "type": 19,
                    "mmsi": 3,
                    "lat": 50.0,
                    "lon": -1.0,
                    "speed": 4.0,
                    "shipname": "WAVE",
                    "ship_type": 37,
                    "to_bow": 8,
                    "to_stern": 4,
                }
            )
        )[0]
    )
    assert got["name"] == "WAVE" and got["design.length"] == {"overall": 12.0}
    assert got["navigation.position"] == {"latitude": 50.0, "longitude": -1.0}


def test_vdo_is_own_vessel():
    obs, _ = decode(
        ais({"type": 1, "mmsi": 235000001, "lat": 50.5, "lon": -1.25}, sentence_type="VDO")
    )
    assert {o.vessel for o in obs} == {"self"}


def test_undecodable_payload_is_counted():
    from isomer_data.samples.voyage import with_checksum

    obs, decoder = decode([with_checksum("AIVDM,1,1,,A,,0", start="!")])
    assert obs == [] and decoder.report.rejected_total == 1
