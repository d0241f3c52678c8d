"""The per-PGN readers compiled from canboat's database against canboat's own codec.

Every mapped PGN either compiles or says why the codec keeps it; every compiled reader
gives the codec's answer for each needed field, and the mapping the same Signal K pairs,
on random payloads, payloads of all-ones bytes, every "no data" pattern of every field,
and payloads one byte short (where the reader hands over to the codec).
"""

from __future__ import annotations

import random

import pytest
from isomer_data.ingest.n2k import compiled
from isomer_data.ingest.n2k.decoder import Decoder, fields_of
from isomer_data.ingest.n2k.mapping import COMPILED, MAPPING, apply

# What may stay with the codec, and why (a new KEPT entry is a decision, not an accident).
KEPT = {
    129040: "name",  # AIS names are text of fixed length
    129041: "atonName",  # text of variable length
    129285: "repeating set",  # the route's waypoints (names, positions); routeName is text
    129540: "repeating set",  # the satellites list
    129794: "name",
    129809: "name",
}
COMPILED_PGNS = sorted(set(MAPPING) - set(KEPT))


def test_every_mapped_pgn_compiles_or_says_why():
    for pgn in MAPPING:
        reader = compiled.reader(pgn)
        if pgn in KEPT:
            assert reader is None
            assert KEPT[pgn] in compiled.KEPT[pgn]
        else:
            assert reader is not None, compiled.KEPT.get(pgn)


def _layout(pgn: int) -> int:
    from nmea2000 import backend

    return compiled._layout_bytes(backend.DATABASE.pgn_variants(pgn)[0])


def _same(pgn: int, data: bytes) -> None:
    want = fields_of(pgn, data)
    done = compiled.reader(pgn)(data)
    assert done is not None
    got, pairs = done
    for key, value in got.items():
        expected = want.get(key)
        if key in ("date", "time") and pgn in (126992, 129029, 129033):
            assert value[1] == (None if expected is None else expected[1]), (key, data.hex())
            continue
        assert value == expected, (pgn, key, data.hex())
        assert type(value[0]) is type(expected[0]), (pgn, key, data.hex())
    expected_pairs = apply(COMPILED[pgn], want)
    assert apply(COMPILED[pgn], got) == expected_pairs, data.hex()
    if pgn == 129283:
        assert pairs is None  # its path follows the stream's last 129284: the decoder maps it
    else:
        assert pairs == expected_pairs, data.hex()
        for (_, value), (_, want_value) in zip(pairs, expected_pairs, strict=True):
            assert type(value) is type(want_value)


@pytest.mark.parametrize("pgn", COMPILED_PGNS)
def test_reader_equals_codec(pgn):
    rng = random.Random(pgn)
    size = _layout(pgn)
    payloads = [bytes([0xFF]) * size, bytes(size)]
    payloads += [rng.randbytes(size) for _ in range(400)]
    # bytes of 0xFF, 0xFE, 0xFD, 0x7F, 0x80 at random places: the "no data" patterns
    for _ in range(300):
        data = bytearray(rng.randbytes(size))
        for i in rng.sample(range(size), k=max(1, size // 3)):
            data[i] = rng.choice((0xFF, 0xFE, 0xFD, 0xFC, 0x7F, 0x80, 0x00))
        payloads.append(bytes(data))
    # every length from what the reader needs to past the layout (a repeating set's
    # fields are there only when the payload reaches them)
    need = compiled.reader(pgn).need
    for length in range(need, size + 3):
        payloads += [rng.randbytes(length) for _ in range(20)]
    for data in payloads:
        _same(pgn, data)


@pytest.mark.parametrize("pgn", COMPILED_PGNS)
def test_every_no_data_pattern(pgn):
    """Each numeric field at the edges of its range, the others random."""
    from nmea2000 import backend

    info = backend.DATABASE.pgn_variants(pgn)[0]
    size = _layout(pgn)
    rng = random.Random(-pgn)
    needed = compiled.needed_fields(pgn)
    for f in info.fields:
        if f.id not in needed or f.bit_offset is None or not f.bit_length:
            continue
        n = f.bit_length
        raws = {0, 1, (1 << n) - 1, (1 << n) - 2, (1 << n) - 3, (1 << n) - 4}
        raws |= {(1 << (n - 1)) + d for d in (-4, -3, -2, -1, 0, 1)} if n > 2 else set()
        for raw in raws:
            base = int.from_bytes(rng.randbytes(size), "little")
            mask = ((1 << n) - 1) << f.bit_offset
            value = (base & ~mask) | ((raw & ((1 << n) - 1)) << f.bit_offset)
            _same(pgn, value.to_bytes(size, "little"))


@pytest.mark.parametrize("pgn", COMPILED_PGNS)
def test_short_payload_goes_to_the_codec(pgn):
    need = compiled.reader(pgn).need
    assert 0 < need <= _layout(pgn)
    assert compiled.reader(pgn)(bytes(need - 1)) is None
    assert compiled.reader(pgn)(bytes([0xAA]) * need) is not None


def test_decoder_uses_readers_and_counts_the_same():
    """Same observations through the decoder whether the reader or the codec decodes."""
    rng = random.Random(7)
    lines = []
    for k, pgn in enumerate(COMPILED_PGNS * 20):
        data = rng.randbytes(_layout(pgn))
        hexes = ",".join(f"{b:02x}" for b in data)
        lines.append(f"2024-06-10T06:13:{k % 60:02d}.000Z,2,{pgn},{k % 7},255,{len(data)},{hexes}")
    fast = Decoder()
    slow = Decoder()
    slow.use_readers = False  # every payload through the codec
    out_fast = [o for line in lines for o in fast.feed(line)]
    out_slow = [o for line in lines for o in slow.feed(line)]
    assert out_fast == out_slow
    assert len(out_fast) > len(lines)
    assert fast.report.accepted == slow.report.accepted
    assert fast.report.rejected == slow.report.rejected
