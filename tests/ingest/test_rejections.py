"""Bad input is counted by reason, with examples, and never raised."""

from isomer_data.ingest.decode import Decoder, decode_lines
from isomer_data.ingest.report import IngestReport

from isomer_data.samples.voyage import with_checksum

T0 = 1714564800.0


def feed(*lines):
    decoder = Decoder()
    out = [o for line in lines for o in decoder.feed(line, received=T0)]
    return out, decoder.report


def test_bad_checksum_is_counted_not_stored():
    out, report = feed("$SDDBT,22.6,f,6.9,M,3.8,F*00")
    assert out == [] and report.rejected == {"bad_checksum": 1}
    assert report.examples["bad_checksum"] == ["$SDDBT,22.6,f,6.9,M,3.8,F*00"]


def test_truncated_and_binary_garbage_are_counted():
    out, report = feed("$GPGGA,000102,5048.1", b"\x00\xff\xfe\x13garbage", "\x00\x01 noise")
    assert out == []
    assert report.rejected == {"truncated": 1, "not_nmea": 2}


def test_unknown_and_proprietary_sentences_are_counted_as_unknown():
    out, report = feed(with_checksum("PGRME,15.0,M,45.0,M,25.0,M"), with_checksum("GPQQQ,1,2"))
    assert out == [] and report.rejected == {"unknown_sentence": 2}


def test_valid_but_unmapped_sentences_are_counted_separately():
    out, report = feed(with_checksum("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"))
    assert out == [] and report.unmapped == {"GSA": 1} and report.rejected_total == 0


def test_malformed_number_refuses_the_whole_sentence():
    out, report = feed(with_checksum("GPRMC,123519,A,48x7.038,N,01131.000,E,022.4,084.4,230394,,"))
    assert out == [] and report.rejected == {"malformed_field": 1}


def test_impossible_values_are_dropped_and_counted_by_reason():
    out, report = feed(
        with_checksum("GPGLL,9130.00,N,00100.00,W,120000,A"),
        with_checksum("GPVTG,054.7,T,,M,-5.5,N,,K"),
        with_checksum("SDDBT,,f,-1.0,M,,F"),
        with_checksum("YXMTW,nan,C"),
        with_checksum("HEHDT,400.0,T"),
    )
    assert [o.path for o in out] == ["navigation.courseOverGroundTrue"]
    assert report.rejected == {
        "impossible_position": 1,
        "negative_speed": 1,
        "negative_depth": 1,
        "not_a_number": 1,
        "impossible_angle": 1,
    }


def test_minutes_of_sixty_or_more_are_impossible():
    out, report = feed(with_checksum("GPGLL,4960.00,N,00100.00,W,120000,A"))
    assert out == [] and report.rejected == {"impossible_position": 1}


def test_examples_are_bounded_and_report_serialises():
    report = IngestReport(max_examples=2)
    lines = [f"$SDDBT,{i},f,,M,,F*00" for i in range(5)]
    assert list(decode_lines(lines, report=report)) == []
    doc = report.to_dict()
    assert doc["rejected"] == {"bad_checksum": 5}
    assert len(doc["examples"]["bad_checksum"]) == 2
    assert "rejected bad_checksum: 5" in report.format()


def test_sentences_before_any_time_in_a_file_are_counted_as_untimed():
    report = IngestReport()
    assert list(decode_lines([with_checksum("SDDBT,,f,3.0,M,,F")], report=report)) == []
    assert report.rejected == {"no_time": 1}


def test_random_bytes_never_raise():
    import random

    rng = random.Random(1)
    decoder = Decoder()
    for _ in range(300):
        size = rng.randrange(0, 90)
        line = bytes(rng.randrange(256) for _ in range(size))
        if rng.random() < 0.5:
            line = b"$GP" + line
        decoder.feed(line, received=T0)
    for body in ("GPRMC,,,,,,,,,,,", "GPRMC,1,A", "SDDPT", "WIMWV,,,,,", "IIXDR,C", "GPZDA,1,2"):
        decoder.feed(with_checksum(body), received=T0)
    assert decoder.report.lines >= 300  # blank lines are not counted
    assert decoder.report.rejected_total + sum(decoder.report.accepted.values()) >= 300


def test_impossible_times_and_numbers_are_counted_not_stored():
    """A clock sentence dated 9999 (or before 1980) would pin live values and break storage."""
    out, report = feed(
        with_checksum("GPZDA,000006.00,02,05,9999,00,00"),
        with_checksum("GPZDA,000006.00,02,05,1975,00,00"),
        with_checksum("SDDBT,1e999,f,1e999,M,,F"),
        with_checksum("GPZDA,000006.00,01,05,2024,00,00"),
    )
    assert report.rejected["impossible_time"] == 2
    assert report.rejected["not_a_number"] + report.rejected["malformed_field"] >= 1
    assert [o.path for o in out] == ["navigation.datetime"]
