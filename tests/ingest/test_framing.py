"""Wrappers around sentences: prefixes, TAG blocks, Signal K multiplexed logs, gzip."""

import gzip

import pytest
from isomer_data.ingest.decode import Decoder
from isomer_data.ingest.framing import Frame, FramingError, checksum, frame_line, open_log

from isomer_data.samples.voyage import with_checksum

DBT = with_checksum("SDDBT,22.6,f,6.9,M,3.8,F")
T0 = 1714564800.0


def tag(body: str) -> str:
    return f"\\{body}*{checksum(body):02X}\\"


def test_plain_sentence_has_no_hints():
    assert frame_line(DBT + "\r\n") == Frame(DBT)


def test_iso_prefix_gives_absolute_time():
    assert frame_line(f"2024-05-01T12:00:00.123Z {DBT}") == Frame(DBT, T0 + 0.123)


def test_iso_prefix_without_zone_is_utc():
    assert frame_line(f"2024-05-01 12:00:00 {DBT}").time == T0


def test_epoch_prefix_seconds_and_milliseconds():
    assert frame_line(f"1714564800.5 {DBT}").time == T0 + 0.5
    assert frame_line(f"1714564800500;{DBT}").time == T0 + 0.5


def test_time_of_day_prefix():
    frame = frame_line(f"12:00:01.250 {DBT}")
    assert frame.time is None and frame.time_of_day == 43201.25


def test_tag_block_time_and_source():
    assert frame_line(tag("c:1714564800,s:GP01") + DBT) == Frame(DBT, T0, None, "GP01")
    assert frame_line(tag("s:r1,c:1714564800123") + DBT).time == pytest.approx(T0 + 0.123)


def test_tag_block_bad_checksum_is_refused():
    with pytest.raises(FramingError) as error:
        frame_line("\\c:1714564800,s:GP01*00\\" + DBT)
    assert error.value.reason == "bad_tag_checksum"


def test_signalk_multiplexed_nmea_is_decoded_and_deltas_counted():
    decoder = Decoder()
    obs = decoder.feed(f"1714564800000;N;{DBT}")
    assert [(o.time, o.path) for o in obs] == [(T0, "environment.depth.belowTransducer")]
    assert decoder.feed('1714564800000;I;{"updates":[]}') == []
    assert decoder.report.rejected == {"unsupported_frame:I": 1}


def test_tag_time_is_used_for_sentences_without_time_and_source_label_kept():
    decoder = Decoder(source="udp")
    (obs,) = decoder.feed(tag("c:1714564800,s:SND") + DBT, received=T0 + 99)
    assert obs.time == T0
    assert obs.source == "SND.SD"


def test_prefix_time_of_day_takes_date_from_reception_time():
    decoder = Decoder()
    (obs,) = decoder.feed(f"11:59:59 {DBT}", received=T0 + 5)
    assert obs.time == T0 - 1


def test_blank_lines_and_comments_are_ignored():
    decoder = Decoder()
    assert decoder.feed("\r\n") == [] and decoder.feed("# logger started") == []
    assert decoder.report.lines == 0 and decoder.report.rejected_total == 0


def test_open_log_detects_gzip_by_content(tmp_path):
    packed = tmp_path / "voyage.log"  # no .gz suffix on purpose
    with gzip.open(packed, "wt") as handle:
        handle.write(DBT + "\r\n")
    plain = tmp_path / "voyage.nmea"
    plain.write_text(DBT + "\n")
    for path in (packed, plain):
        with open_log(path) as handle:
            assert [line.strip() for line in handle] == [DBT]
