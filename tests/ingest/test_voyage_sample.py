"""The shipped sample voyage: deterministic, and its depths land where the seabed says."""

from isomer_data.ingest.decode import decode_file
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.soundings import SoundingPairer

from isomer_data.samples import VOYAGE_NMEA
from isomer_data.samples.voyage import TRANSDUCER_DEPTH, generate, seabed_depth


def test_sample_file_is_the_generator_output_and_small():
    data = VOYAGE_NMEA.read_bytes()
    assert data == generate()
    assert len(data) < 300_000


def test_sample_decodes_with_the_deliberate_faults_reported():
    report = IngestReport()
    observations = list(decode_file(VOYAGE_NMEA, report=report))
    assert report.rejected == {
        "bad_checksum": 1,
        "not_nmea": 1,
        "truncated": 1,
        "unknown_sentence": 1,
    }
    assert report.unmapped == {"GSA": 1}
    assert {
        "RMC",
        "GGA",
        "DBT",
        "DPT",
        "MWV",
        "VHW",
        "HDG",
        "MTW",
        "XDR",
        "ZDA",
    } <= report.accepted.keys()
    assert {"VDM1", "VDM5", "VDM18", "VDM24"} <= report.accepted.keys()
    vessels = {o.vessel for o in observations}
    assert vessels == {"self", "urn:mrn:imo:mmsi:235009876", "urn:mrn:imo:mmsi:235001234"}


def test_sample_soundings_match_the_known_seabed():
    soundings = list(SoundingPairer().feed_many(decode_file(VOYAGE_NMEA)))
    assert len(soundings) == 840
    for s in soundings:
        assert s.transducer_offset == TRANSDUCER_DEPTH
        assert abs(s.depth_below_surface - seabed_depth(s.latitude, s.longitude)) <= 0.06
    # The voyage crosses midnight: times keep increasing.
    times = [s.time for s in soundings]
    assert times == sorted(times) and times[-1] - times[0] == 839.0
