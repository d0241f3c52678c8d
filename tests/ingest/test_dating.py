"""No valid reading is lost for lack of a date: the dating rules, in both decoders."""

import os
from datetime import UTC, datetime

import pytest
from isomer_data.ingest.clock import FILE_DATE, GIVEN, GPS, INGEST_TIME, MTIME, RECEIVE_TIME
from isomer_data.ingest.dating import log_start
from isomer_data.ingest.decode import Decoder, decode_lines
from isomer_data.ingest.fastpath import decode_batch
from isomer_data.ingest.pipeline import ingest_log
from isomer_data.ingest.report import IngestReport

from isomer_data.cli.main import main
from isomer_data.samples.voyage import with_checksum
from isomer_data.store.observations import query_observations


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def gga(hhmmss: str, lat: str = "5048.0000") -> str:
    return with_checksum(f"GPGGA,{hhmmss},{lat},N,00118.0000,W,1,09,0.9,,M,,M,,")


def dbt(metres: float) -> str:
    return with_checksum(f"SDDBT,,f,{metres:.1f},M,,F")


def rmc(hhmmss: str, ddmmyy: str) -> str:
    return with_checksum(f"GPRMC,{hhmmss},A,5048.0000,N,00118.0000,W,6.0,135.0,{ddmmyy},,")


def decode_both(lines, **rules):
    """Both decoders from the start :func:`log_start` finds; asserts they agree exactly."""
    start, rule = log_start(lines, **rules)
    slow_report, fast_report = IngestReport(), IngestReport()
    slow = list(decode_lines(lines, report=slow_report, start=start, start_source=rule or GIVEN))
    fast = decode_batch(lines, report=fast_report, start=start, start_source=rule or GIVEN)
    assert fast.to_observations() == slow
    assert fast_report.to_dict() == slow_report.to_dict()
    return slow, slow_report


def by_path(observations, path):
    return [o for o in observations if o.path == path]


def test_dateless_log_is_stored_whole_dated_by_the_files_mtime_as_its_end():
    # A two-minute bus log with times of day only (ZDA with empty date fields included).
    lines = []
    for k in range(120):
        hh, mm, ss = 10, k // 60, k % 60
        lines.append(gga(f"{hh:02d}{mm:02d}{ss:02d}.00"))
        lines.append(dbt(5.0 + k / 10))
    lines.append(with_checksum("GPZDA,100159.50,,,,,"))
    end = at("2024-05-01T10:05:00")  # written a few minutes after the last line
    slow, report = decode_both(lines, mtime=end, now=at("2024-06-01T00:00:00"))
    depths = by_path(slow, "environment.depth.belowTransducer")
    assert len(depths) == 120 and report.rejected.get("no_time") is None
    assert depths[0].time == at("2024-05-01T10:00:00")
    assert depths[-1].time == at("2024-05-01T10:01:59")
    assert depths[-1].value == pytest.approx(5.0 + 11.9)
    assert {o.time_source for o in slow} == {MTIME}
    assert report.dated == {MTIME: len(slow)}
    assert "dated by: mtime" in report.format()


def test_without_mtime_the_time_of_ingest_is_the_logs_end():
    lines = [gga("235000.00"), dbt(3.0), gga("235959.00")]
    slow, report = decode_both(lines, now=at("2024-05-02T00:00:30"))
    assert [o.time for o in by_path(slow, "navigation.position")] == [
        at("2024-05-01T23:50:00"),
        at("2024-05-01T23:59:59"),
    ]
    assert report.dated == {INGEST_TIME: 9}  # GGA gives 4 observations, DBT 1


def test_mtime_a_few_minutes_behind_gps_time_still_dates_the_last_line_that_day():
    lines = [gga("120000.00"), gga("121000.00")]
    slow, _ = decode_both(lines, mtime=at("2024-05-01T12:05:00"))  # computer clock 5 min slow
    assert slow[-1].time == at("2024-05-01T12:10:00")


def test_a_date_late_in_the_file_dates_the_lines_before_it():
    lines = [dbt(2.0), gga("120000.00"), dbt(2.5), gga("120001.00")]
    lines += [rmc("120002.00", "150824"), dbt(3.0), gga("120003.00")]
    slow, report = decode_both(lines, mtime=at("2030-01-01T00:00:00"))
    depths = by_path(slow, "environment.depth.belowTransducer")
    # The depth before any time takes the first time in the file.
    assert [d.time for d in depths] == [
        at("2024-08-15T12:00:00"),
        at("2024-08-15T12:00:00"),
        at("2024-08-15T12:00:02"),
    ]
    assert [d.time_source for d in depths] == [FILE_DATE, FILE_DATE, GPS]
    positions = by_path(slow, "navigation.position")
    assert [p.time_source for p in positions] == [FILE_DATE, FILE_DATE, GPS, GPS]
    assert report.dated[FILE_DATE] == 10 and report.dated[GPS] == len(slow) - 10


def test_walking_back_across_midnight_puts_earlier_times_on_the_day_before():
    lines = [gga("235958.00"), gga("235959.00"), gga("000000.00"), gga("000001.00")]
    lines.append(rmc("000002.00", "020524"))
    slow, _ = decode_both(lines)
    times = [o.time for o in by_path(slow, "navigation.position")]
    assert times == [
        at("2024-05-01T23:59:58"),
        at("2024-05-01T23:59:59"),
        at("2024-05-02T00:00:00"),
        at("2024-05-02T00:00:01"),
        at("2024-05-02T00:00:02"),
    ]


def test_small_disorder_between_talkers_is_not_a_day():
    # Two receivers half a second apart: walking back, an increase of 0.5 s is not midnight.
    lines = [gga("100000.50"), gga("100000.00"), rmc("100001.00", "010524")]
    slow, _ = decode_both(lines)
    times = [o.time for o in by_path(slow, "navigation.position")]
    assert times[:2] == [at("2024-05-01T10:00:00.5"), at("2024-05-01T10:00:00")]


def test_a_dateless_log_crossing_midnight_ends_on_its_mtimes_day():
    lines = [gga("235959.00"), dbt(4.0), gga("000001.00"), dbt(4.2)]
    slow, _ = decode_both(lines, mtime=at("2024-05-02T00:10:00"))
    depths = by_path(slow, "environment.depth.belowTransducer")
    assert [d.time for d in depths] == [at("2024-05-01T23:59:59"), at("2024-05-02T00:00:01")]


def test_given_date_is_the_date_of_the_first_time_of_day_and_wins_over_the_file():
    lines = [gga("235959.00"), gga("000001.00"), rmc("000002.00", "020624")]
    slow, report = decode_both(lines, date=at("2024-05-01T00:00:00"), mtime=at("2030-01-01"))
    times = [o.time for o in by_path(slow, "navigation.position")]
    assert times[:2] == [at("2024-05-01T23:59:59"), at("2024-05-02T00:00:01")]
    assert times[2] == at("2024-06-02T00:00:02")  # the RMC's own date stays its own
    assert report.dated[GIVEN] == 8


def test_given_start_instant_resolves_the_first_time_of_day_nearest_to_it():
    lines = [gga("000500.00"), dbt(1.0)]
    slow, report = decode_both(lines, start=at("2024-05-01T23:58:00"), date=at("2020-01-01"))
    assert slow[0].time == at("2024-05-02T00:05:00")
    assert report.dated == {GIVEN: 5}


def test_a_log_of_timeless_sentences_only_is_kept_at_the_start_instant():
    lines = [dbt(1.0), dbt(2.0), with_checksum("WIMWV,270.0,R,10.0,N,A")]
    slow, report = decode_both(lines, mtime=at("2024-05-01T08:00:00"))
    assert len(slow) == 4 and {o.time for o in slow} == {at("2024-05-01T08:00:00")}
    assert report.dated == {MTIME: 4}


def test_without_any_rule_times_of_day_before_a_date_are_still_refused_as_before():
    assert log_start([gga("120000.00")]) == (None, None)
    report = IngestReport()
    assert list(decode_lines([dbt(1.0), gga("120000.00")], report=report)) == []
    assert report.rejected["no_time"] == 2


def test_live_lines_without_time_take_their_receive_time():
    decoder = Decoder()
    received = at("2024-05-01T12:00:00.25")
    depth = decoder.feed(dbt(3.0), received=received)
    position = decoder.feed(gga("120000.00"), received=received)
    assert depth[0].time == received and depth[0].time_source == RECEIVE_TIME
    assert position[0].time == at("2024-05-01T12:00:00")
    assert position[0].time_source == RECEIVE_TIME
    assert decoder.report.dated == {RECEIVE_TIME: 5}


def test_logger_stamps_are_named_logger():
    decoder = Decoder()
    out = decoder.feed("2024-05-01T12:00:00Z " + dbt(3.0))
    assert out[0].time_source == "logger"


def test_ingest_stores_the_rule_and_gps_dated_data_can_be_selected(tmp_path, mongo_db):
    path = tmp_path / "bus.log"
    path.write_text("\n".join([gga("115959.00"), dbt(2.0), rmc("120000.00", "010524"), dbt(3.0)]))
    result = ingest_log(mongo_db, path)
    assert result.observations == 10 and result.report.dated == {FILE_DATE: 5, GPS: 5}
    everything = query_observations(mongo_db)
    assert len(everything) == 10
    gps = query_observations(mongo_db, time_source="gps")
    assert len(gps) == 5 and set(gps["time_source"]) == {"gps"}
    early = query_observations(mongo_db, time_source=["file-date"])
    assert len(early) == 5
    assert {"navigation.position", "environment.depth.belowTransducer"} <= set(early["path"])
    assert early["time"].min() == datetime(2024, 5, 1, 11, 59, 59, tzinfo=UTC)


def test_ingest_of_a_dateless_file_uses_its_mtime(tmp_path, mongo_db):
    path = tmp_path / "old.log"
    path.write_text("\n".join([gga("081500.00"), dbt(2.0), gga("081501.00")]) + "\n")
    os.utime(path, (at("2019-07-04T09:00:00"), at("2019-07-04T09:00:00")))
    result = ingest_log(mongo_db, path)
    assert result.report.dated == {MTIME: 9}
    frame = query_observations(mongo_db, time_source="mtime")
    assert frame["time"].min() == datetime(2019, 7, 4, 8, 15, tzinfo=UTC)
    assert len(frame) == 9


def test_both_decoders_agree_on_a_mutated_dateless_voyage_with_a_late_date():
    """The sample without its dates until line 900, with fields mutated and lines cut."""
    import random

    from isomer_data.samples import VOYAGE_NMEA

    rng = random.Random(11)
    lines = VOYAGE_NMEA.read_bytes().decode("ascii", "replace").splitlines()[:1500]
    out = []
    for k, line in enumerate(lines):
        if k < 900 and ("RMC" in line or "ZDA" in line):
            continue
        roll = rng.random()
        if roll < 0.05 and "*" in line:
            body = line[1 : line.rindex("*")]
            fields = body.split(",")
            j = rng.randrange(1, len(fields)) if len(fields) > 1 else 0
            fields[j] = rng.choice(["", "-1", "235959", "000000.5", "nan", "A", "V", "1e2"])
            line = with_checksum(",".join(fields), start=line[0])
        elif roll < 0.07:
            line = line[: rng.randrange(len(line) + 1)]
        out.append(line)
    slow, report = decode_both(out, mtime=at("2030-01-01T00:00:00"))
    assert report.dated[FILE_DATE] > 1000 and report.dated[GPS] > 1000
    assert report.rejected.get("no_time") is None


@pytest.mark.parametrize("mtime", [0.0, at("2031-01-01T00:00:00")])
def test_an_implausible_mtime_gives_way_to_the_time_of_ingest(mtime):
    lines = [gga("120000.00"), dbt(1.0)]
    slow, report = decode_both(lines, mtime=mtime, now=at("2024-05-01T12:30:00"))
    assert slow[0].time == at("2024-05-01T12:00:00")
    assert set(report.dated) == {INGEST_TIME}


# Seatalk1 date (56) and time (54), as a Raymarine GPS puts them on the bus, forwarded by
# a gateway as $STALK (or ShipModul's $PSMDST): the only date some instrument logs carry.
def stalk_date(day: int, month: int, year: int, sentence: str = "STALK") -> str:
    # 56 M1 DD YY
    return with_checksum(f"{sentence},56,{month:X}1,{day:02X},{year - 2000:02X}")


def stalk_time(hh: int, mm: int, ss: int, sentence: str = "STALK") -> str:
    # 54 T1 RS HH: minutes in RS's 6 high bits, seconds in RS's 2 low bits and T
    return with_checksum(f"{sentence},54,{ss & 0xF:X}1,{(mm << 2) | (ss >> 4):02X},{hh:02X}")


def dpt(metres: float) -> str:
    return with_checksum(f"SDDPT,{metres:.1f},0.5,")


def mwv(angle: float) -> str:
    return with_checksum(f"WIMWV,{angle:.1f},R,10.0,N,A")


def test_seatalk_helpers_encode_what_signal_ks_test_decodes():
    # test/seatalk.ts: "56,41,04,18" (4 April 2024 here) + "54,21,22,11" → 17:08:34.
    assert stalk_date(4, 4, 2024) == with_checksum("STALK,56,41,04,18")
    assert stalk_time(17, 8, 34) == with_checksum("STALK,54,21,22,11")


def test_seatalk_date_and_time_late_in_a_log_without_times_date_every_reading(
    tmp_path, mongo_db, db_url, capsys
):
    """Depth and wind only, no time at all, until the Seatalk GPS's date and time."""
    lines = [line for k in range(50) for line in (dpt(4.0 + k / 10), mwv(30.0 + k))]
    lines += [stalk_date(15, 8, 2024), stalk_time(9, 30, 5), dpt(9.5), mwv(99.0)]
    late = at("2030-01-01T00:00:00")  # an mtime that must not date this log
    slow, report = decode_both(lines, mtime=late, now=late)
    depths = by_path(slow, "environment.depth.belowTransducer")
    assert len(depths) == 51 and report.rejected_total == 0
    assert {d.time for d in depths} == {at("2024-08-15T09:30:05")}
    assert [d.time_source for d in depths] == [FILE_DATE] * 50 + [GPS]
    (stamp,) = by_path(slow, "navigation.datetime")
    assert (stamp.value, stamp.time, stamp.time_source) == (
        "2024-08-15T09:30:05.000Z",
        at("2024-08-15T09:30:05"),
        GPS,
    )
    # DPT gives 3 values (below transducer, below surface, offset), MWV 2; the 54 datetime.
    assert report.dated == {FILE_DATE: 250, GPS: 6}
    assert "dated by: file-date 250, gps 6" in report.format()

    path = tmp_path / "instruments.log"
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, (late, late))
    capsys.readouterr()
    assert main(["ingest", str(path), "--db", db_url]) == 0
    printed = capsys.readouterr().out
    assert "stored 256 observations" in printed and "0 rejected" in printed
    assert "dated by: file-date 250, gps 6" in printed
    stored = query_observations(mongo_db)
    assert len(stored) == 256
    assert set(stored["time"]) == {datetime(2024, 8, 15, 9, 30, 5, tzinfo=UTC)}
    assert (stored["time_source"] == "file-date").sum() == 250


def test_seatalk_date_walks_back_over_times_of_day_and_midnight():
    """GGA gives times of day, only Seatalk the date: after midnight, lines of the day before."""
    lines = [gga("235958.00"), dpt(3.0), gga("235959.00"), mwv(45.0), gga("000000.00")]
    lines += [dpt(3.1), stalk_time(0, 0, 1, "PSMDST,R"), stalk_date(2, 5, 2024, "PSMDST,R")]
    lines += [gga("000002.00"), dpt(3.2)]
    slow, report = decode_both(lines, mtime=at("2030-01-01T00:00:00"))
    assert [o.time for o in by_path(slow, "navigation.position")] == [
        at("2024-05-01T23:59:58"),
        at("2024-05-01T23:59:59"),
        at("2024-05-02T00:00:00"),
        at("2024-05-02T00:00:02"),
    ]
    depths = by_path(slow, "environment.depth.belowTransducer")
    assert [d.time for d in depths] == [
        at("2024-05-01T23:59:58"),
        at("2024-05-02T00:00:00"),
        at("2024-05-02T00:00:02"),
    ]
    assert [d.time_source for d in depths] == [FILE_DATE, FILE_DATE, GPS]
    assert by_path(slow, "navigation.datetime")[0].value == "2024-05-02T00:00:01.000Z"
    assert set(report.dated) == {FILE_DATE, GPS}


def test_seatalk_date_and_time_set_the_live_decoders_clock():
    decoder = Decoder()
    assert decoder.feed(stalk_time(12, 0, 0)) == []  # a time alone is no instant yet
    (stamp,) = decoder.feed(stalk_date(1, 5, 2024))
    assert (stamp.time, stamp.time_source) == (at("2024-05-01T12:00:00"), GPS)
    (stamp,) = decoder.feed(stalk_time(12, 0, 1))
    assert stamp.value == "2024-05-01T12:00:01.000Z" and stamp.time == at("2024-05-01T12:00:01")
    position = decoder.feed(gga("120002.00"))  # a time of day takes the Seatalk date
    assert position[0].time == at("2024-05-01T12:00:02") and position[0].time_source == GPS
    (depth,) = decoder.feed(dbt(2.0))  # no time of its own, no receive time: the clock
    assert depth.time == at("2024-05-01T12:00:02") and depth.time_source == GPS


def test_seatalk_datetime_dates_live_lines_received_without_a_clock_of_their_own():
    decoder = Decoder()
    received = at("2024-05-01T12:00:03")
    decoder.feed(stalk_date(1, 5, 2024), received=received)
    (stamp,) = decoder.feed(stalk_time(12, 0, 2), received=received)
    assert (stamp.time, stamp.time_source) == (at("2024-05-01T12:00:02"), GPS)
    position = decoder.feed(gga("120003.00"), received=received)
    assert position[0].time_source == GPS
    assert decoder.report.rejected_total == 0


@pytest.mark.parametrize("date_first", [True, False])
def test_seatalk_date_and_time_straddling_midnight_are_one_day(date_first):
    """The GPS sends 56 less often than 54: around midnight one is a day ahead of the other."""
    lines = [stalk_date(1, 5, 2024), stalk_time(23, 59, 59)]
    if date_first:  # the new date before the first time after midnight
        lines += [stalk_date(2, 5, 2024), stalk_time(0, 0, 0)]
    else:  # the first time after midnight before the new date
        lines += [stalk_time(0, 0, 0), stalk_date(2, 5, 2024)]
    lines += [stalk_time(0, 0, 1), dbt(1.0)]
    slow, _ = decode_both(lines)
    stamps = [(o.value, o.time) for o in by_path(slow, "navigation.datetime")]
    assert [value for value, _ in stamps] == [
        "2024-05-01T23:59:59.000Z",
        "2024-05-01T23:59:59.000Z" if date_first else "2024-05-02T00:00:00.000Z",
        "2024-05-02T00:00:00.000Z",
        "2024-05-02T00:00:01.000Z",
    ]
    assert all(time == at(value[:-1]) for value, time in stamps)
    assert slow[-1].time == at("2024-05-02T00:00:01")


def test_a_seatalk_date_change_away_from_midnight_is_taken_as_sent():
    lines = [stalk_date(1, 1, 2000), stalk_time(10, 0, 0), stalk_date(1, 5, 2024)]
    slow, _ = decode_both(lines)
    assert by_path(slow, "navigation.datetime")[-1].value == "2024-05-01T10:00:00.000Z"


@pytest.mark.parametrize(
    "bogus",
    [
        [stalk_date(31, 12, 2250), stalk_time(12, 0, 0)],
        [rmc("120000.00", "311279")],  # 2079, the latest RMC can say
    ],
)
def test_a_live_date_far_in_the_future_is_refused_and_does_not_move_the_clock(bogus):
    decoder = Decoder()
    received = at("2024-05-01T12:00:05")
    for line in bogus:
        decoder.feed(line, received=received)
    assert decoder.report.rejected["impossible_time"] == 1
    position = decoder.feed(gga("120004.00"), received=received)
    assert position[0].time == at("2024-05-01T12:00:04")
    assert position[0].time_source == RECEIVE_TIME


def test_both_decoders_agree_on_a_mutated_voyage_dated_only_by_seatalk():
    """The sample without RMC/ZDA, Seatalk times and dates sprinkled from line 300, mutated."""
    import random

    from isomer_data.samples import VOYAGE_NMEA

    rng = random.Random(5)
    lines = VOYAGE_NMEA.read_bytes().decode("ascii", "replace").splitlines()[:1200]
    out = []
    for k, line in enumerate(lines):
        if "RMC" in line or "ZDA" in line:
            continue
        if k > 300 and k % 37 == 0:
            when = (rng.randrange(24), rng.randrange(60), rng.randrange(60))
            out.append(stalk_time(*when, rng.choice(["STALK", "PSMDST,R", "PSMDST"])))
        if k > 600 and k % 101 == 0:
            day, month = rng.randrange(1, 29), rng.randrange(1, 13)
            out.append(stalk_date(day, month, 2024, rng.choice(["STALK", "PSMDST,R"])))
        if rng.random() < 0.05 and "*" in line:
            fields = line[1 : line.rindex("*")].split(",")
            fields[rng.randrange(1, len(fields))] = rng.choice(["", "54", "56", "235959", "x"])
            line = with_checksum(",".join(fields), start=line[0])
        out.append(line)
    slow, report = decode_both(out, mtime=at("2030-01-01T00:00:00"))
    assert report.dated[FILE_DATE] > 1000 and report.dated[GPS] > 1000
    assert set(report.dated) == {FILE_DATE, GPS}
    assert report.rejected.get("no_time") is None
