"""The batch decoder gives exactly the per-line decoder's observations and report."""

import numpy as np
from isomer_data.ingest.decode import decode_lines
from isomer_data.ingest.fastpath import decode_batch
from isomer_data.ingest.report import IngestReport

from isomer_data.samples import VOYAGE_NMEA
from isomer_data.samples.voyage import with_checksum


def both(lines):
    slow_report, fast_report = IngestReport(), IngestReport()
    slow = list(decode_lines(lines, report=slow_report))
    columns = decode_batch(lines, report=fast_report)
    return slow, columns, slow_report, fast_report


def test_fast_path_equals_slow_path_on_the_sample_voyage():
    lines = VOYAGE_NMEA.read_bytes().decode("ascii", "replace").splitlines()
    slow, columns, slow_report, fast_report = both(lines)
    assert columns.to_observations() == slow
    assert fast_report.to_dict() == slow_report.to_dict()


def test_fast_path_equals_slow_path_on_irregular_lines():
    lines = [
        with_checksum("SDDBT,,f,3.0,M,,F"),  # before any time: refused as untimed
        with_checksum("GPGGA,235959.00,5048.0,N,00118.0,W,1,09,0.9,,M,,M,,"),  # no date yet
        with_checksum("GPRMC,235959.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,"),
        with_checksum("GPGGA,000001.00,5048.0,N,00118.0,W,1,09,0.9,,M,,M,,"),  # past midnight
        with_checksum("GPRMC,000002.00,V,5048.0,N,00118.0,W,6.0,135.0,020524,,"),  # void
        with_checksum("GPGLL,9130.00,N,00100.00,W,000003,A"),  # impossible latitude
        with_checksum("SDDBT,,f,-1.0,M,,F"),  # negative depth
        with_checksum("SDDBT,,f,1e3,M,,F"),  # exponent: not a plain decimal, per line
        with_checksum("SDDBT,,f,abc,M,,F"),  # malformed
        with_checksum("SDDPT,7.5"),  # short sentence
        with_checksum("WIMWV,270.0,R,10.0,N,A"),
        with_checksum("WIMWV,045.0,T,36.0,K,A"),
        with_checksum("WIMWV,045.0,X,36.0,K,A"),  # unknown reference letter
        with_checksum("HCHDG,98.3,,,,"),
        "2024-05-02T00:00:05Z " + with_checksum("SDDBT,,f,4.0,M,,F"),  # prefix: per line
        with_checksum("GPZDA,000006.00,02,05,2024,00,00"),
        with_checksum("AIVDM,1,1,,A,13P7oE0P1pOr390M4et5AT<1P000,0", start="!"),
        "$SDDBT,22.6,f,6.9,M,3.8,F*00",
        "",
        with_checksum("SDDBT,,f,5.0,M,,F"),
    ]
    slow, columns, slow_report, fast_report = both(lines)
    assert columns.to_observations() == slow
    assert fast_report.to_dict() == slow_report.to_dict()


def test_fast_path_clock_follows_the_chain_through_long_gaps_without_dates():
    gga = "GPGGA,{},5048.0,N,00118.0,W,1,09,0.9,,M,,M,,"
    lines = [with_checksum("GPRMC,000000.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,")]
    lines += [
        with_checksum(gga.format(t)) for t in ("060000", "120000", "180000", "235900", "050000")
    ]
    lines.append(with_checksum("SDDBT,,f,3.0,M,,F"))
    slow, columns, slow_report, fast_report = both(lines)
    assert columns.to_observations() == slow
    assert slow[-1].time == 1714521600.0 + 86400 + 5 * 3600


def test_columns_are_coded_for_bulk_storage():
    lines = VOYAGE_NMEA.read_bytes().decode("ascii", "replace").splitlines()[:200]
    columns = decode_batch(lines)
    assert columns.time.dtype == np.float64 and columns.path.dtype == np.int32
    depth = columns.paths.index("environment.depth.belowTransducer")
    assert np.all(columns.number[columns.path == depth] > 0)
    assert len(columns) == len(columns.to_observations())


def test_fast_path_equals_slow_path_on_mutated_lines():
    import random

    rng = random.Random(7)
    lines = VOYAGE_NMEA.read_bytes().decode("ascii", "replace").splitlines()[:1500]
    mutated = []
    for line in lines:
        roll = rng.random()
        if roll < 0.05 and "*" in line:  # change a field, keep the checksum valid
            body = line[1 : line.rindex("*")]
            fields = body.split(",")
            k = rng.randrange(1, len(fields)) if len(fields) > 1 else 0
            fields[k] = rng.choice(
                [
                    "",
                    "-1",
                    "999",
                    "nan",
                    "12.5",
                    "W",
                    "A",
                    "1e2",
                    "9999.9",
                    "-",
                    "+1",
                    " 1",
                    "1_0",
                    "inf",
                ]
            )
            line = with_checksum(",".join(fields), start=line[0])
        elif roll < 0.07:
            line = line[: rng.randrange(len(line) + 1)]
        mutated.append(line)
    slow, columns, slow_report, fast_report = both(mutated)
    assert columns.to_observations() == slow
    assert fast_report.to_dict() == slow_report.to_dict()


def test_fast_path_ais_columns_equal_pyais_on_random_messages():
    import random

    from pyais.encode import encode_dict

    rng = random.Random(3)
    lines = [with_checksum("GPRMC,120000.00,A,5048.0,N,00118.0,W,6.0,135.0,010524,,")]
    for _ in range(300):
        kind = rng.choice([1, 2, 3, 18, 24, 24, 5])
        fields = {"type": kind, "mmsi": rng.choice([235001234, 211000001, 981234567, 1])}
        if kind == 5:
            fields.update(
                imo=rng.choice([0, 9123456]),
                callsign=rng.choice(["", "MXYZ7"]),
                shipname=rng.choice(["", "ISOMER TRADER", "A@B"]),
                ship_type=rng.choice([0, 70, 36, 99]),
                to_bow=rng.randrange(0, 512),
                to_stern=rng.randrange(0, 512),
                to_port=rng.randrange(0, 64),
                to_starboard=rng.randrange(0, 64),
                draught=rng.choice([0.0, 7.4, 25.5]),
                destination=rng.choice(["", "SOUTHAMPTON", "@@@"]),
            )
        elif kind == 24:
            fields["partno"] = rng.randrange(2)
            fields["shipname"] = rng.choice(
                ["SEA URCHIN", "A@B", "", "  X  ", "ZZZZZZZZZZZZZZZZZZZZ"]
            )
            fields.update(
                ship_type=rng.choice([0, 36, 37, 70, 99, 255]),
                callsign=rng.choice(["", "MABC1", "@@"]),
                to_bow=rng.randrange(0, 512),
                to_stern=rng.randrange(0, 512),
                to_port=rng.randrange(0, 64),
                to_starboard=rng.randrange(0, 64),
                mothership_mmsi=235001234,
            )
        else:
            fields.update(
                status=rng.randrange(16),
                speed=rng.choice([0.0, 5.2, 102.3, 102.2, 40.0]),
                lat=rng.choice([91.0, 50.123456, -33.9, 0.0, 89.99999]),
                lon=rng.choice([181.0, -1.2, 179.5, 0.0, -179.99999]),
                course=rng.choice([0.0, 359.9, 360.0, 45.1, 409.5]),
                heading=rng.choice([0, 359, 511, 400]),
            )
        lines += encode_dict(fields, talker_id="AI", sentence_type="VDM")
    slow, columns, slow_report, fast_report = both(lines)
    assert columns.to_observations() == slow
    assert fast_report.to_dict() == slow_report.to_dict()
