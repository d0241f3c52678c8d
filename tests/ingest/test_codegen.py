"""Compiled table rows behave exactly like the generic reading of the table."""

from isomer_data.ingest.codegen import compile_row
from isomer_data.ingest.normalize import check, extract
from isomer_data.ingest.sentences import SENTENCES

from isomer_data.samples import VOYAGE_NMEA

MORE = [
    "GPVTG,054.7,T,034.4,M,005.5,N,010.2,K",
    "GPVTG,,T,,M,,N,36.0,K",
    "HCHDG,98.3,2.0,E,1.5,W",
    "HCHDG,98.3,,,,",
    "SDDPT,7.5,-1.2,100",
    "SDDPT,7.5",
    "WIMWV,270.0,R,10.0,N,A",
    "WIMWV,045.0,T,36.0,K,A",
    "WIMWD,270.0,T,272.0,M,10.0,N,5.2,M",
    "IIVWR,75.0,L,12.0,N,6.2,M,22.2,K",
    "IIVWT,030.,R,10.1,N,05.2,M,018.7,K",
    "IIVLW,1234.5,N,12.5,N",
    "GPXTE,A,A,0.67,L,N",
    "GPRMB,A,0.66,L,003,004,4917.24,N,12309.57,W,001.3,052.5,000.5,V",
    "GPAPB,A,A,0.10,R,N,V,V,011,M,DEST,012,T,013,M",
    "TIROT,-60.0,A",
    "IIRSA,10.0,A,,V",
    "IIXDR,C,10.7,C,AIRTEMP,P,1.026,B,BARO,A,-3.0,D,HEEL,U,12.6,V,BATT1",
    "GPGLL,9130.00,N,00100.00,W,120000,A",
    "SDDBT,,f,-1.0,M,,F",
]


def generic(kind, fields):
    out, refused = [], []
    for path, value in extract(SENTENCES[kind], fields):
        reason = check(path, value)
        if reason is None:
            out.append((path, value))
        else:
            refused.append(reason)
    return out, refused


def _collect(into: list[str]):
    return lambda reason, _line: into.append(reason)


def test_compiled_rows_equal_the_generic_engine():
    bodies = [
        line[1 : line.rindex("*")]
        for line in VOYAGE_NMEA.read_text(errors="replace").splitlines()
        if line.startswith("$") and "*" in line
    ]
    rows = {kind: compile_row(kind, row) for kind, row in SENTENCES.items()}
    checked = 0
    for body in bodies[:3000] + MORE:
        parts = body.split(",")
        kind = parts[0][2:]
        if kind not in rows:
            continue
        refused: list[str] = []
        observations = rows[kind](parts[1:], 0.0, "self", "s", body, _collect(refused))
        assert ([(o.path, o.value) for o in observations], refused) == generic(kind, parts[1:]), (
            body
        )
        checked += 1
    assert checked > 2000
