"""Time from sentences, the running clock and midnight."""

from isomer_data.ingest.clock import days_from_civil, nearest_time_of_day
from isomer_data.ingest.decode import Decoder, decode_lines

from isomer_data.samples.voyage import with_checksum

MAY_1 = 1714521600.0  # 2024-05-01T00:00:00Z


def test_days_from_civil_matches_known_dates():
    assert days_from_civil(1970, 1, 1) == 0
    assert days_from_civil(2024, 5, 1) * 86400 == MAY_1
    assert days_from_civil(2000, 3, 1) == 11017


def test_gga_after_rmc_keeps_the_date_across_midnight():
    lines = [
        with_checksum("GPRMC,235959.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,"),
        with_checksum("GPGGA,000001.00,5048.0,N,00118.0,W,1,09,0.9,,M,,M,,"),
        with_checksum("GPGLL,5048.0,N,00118.0,W,000002.00,A"),
        with_checksum("SDDBT,,f,3.0,M,,F"),
    ]
    times = [o.time for o in decode_lines(lines) if o.path != "navigation.datetime"]
    assert times[0] == MAY_1 + 86399
    assert times[-3:] == [MAY_1 + 86401, MAY_1 + 86402, MAY_1 + 86402]


def test_clock_runs_backwards_over_midnight_too():
    assert nearest_time_of_day(86399.0, MAY_1 + 86400 + 1) == MAY_1 + 86399


def test_time_of_day_without_any_date_uses_reception_time():
    decoder = Decoder()
    (obs, *_) = decoder.feed(
        with_checksum("GPGGA,235959.00,5048.0,N,00118.0,W,1,09,0.9,,M,,M,,"), received=MAY_1 + 3
    )
    assert obs.time == MAY_1 - 1


def test_sentence_time_wins_over_reception_time_and_timeless_use_reception():
    decoder = Decoder()
    rmc = decoder.feed(
        with_checksum("GPRMC,120000.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,"),
        received=MAY_1 + 43200.2,
    )
    assert rmc[0].time == MAY_1 + 43200
    (dbt,) = decoder.feed(with_checksum("SDDBT,,f,3.0,M,,F"), received=MAY_1 + 43200.4)
    assert dbt.time == MAY_1 + 43200.4
