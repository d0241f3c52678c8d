"""The sync batch: what travels from a boat to the shore, and the limits the shore enforces.

A batch is one BSON document ``{"v": 1, "after": P, "to": Q, "items": [...]}`` holding every
change the boat numbered in ``(P, Q]``, in order; an item is ``{"c": collection, "s": seq,
"d": document}`` or, for a deletion, ``{"c": collection, "s": seq, "del": id}``. (A batch
may hold no items: every number in its range belonged to a document written again since.) It is
compressed (xz by default, zlib, or zstd where the ``zstandard`` package is installed) and
named by the SHA-256 of its BSON: the same changes always make the same batch name.

Format 2 packs a document's top-level lists of floats (a bucket's times, values, longitudes,
latitudes: most of the bytes) as BSON binary of subtype ``0x80``: the float64 bits as
integers, each minus the one before (times and tracks change little from one reading to
the next), bytes regrouped by significance (all the high bytes, then the next, …). A
compressor then sees long runs of near-equal bytes; the same voyage crosses the link in
about a third of the bytes of format 1 and fewer than its gzip-compressed NMEA text
(``docs/benchmarks.md``). Unpacking restores the exact bits, so the shore stores the very
documents the boat holds. The shore reads formats 1 and 2.

Nothing in a batch is trusted by the shore: the compressed and decompressed sizes are
bounded before and while decompressing (a zip bomb stops at the limit), the item count, the
collections, every field name (no ``$``, ``.`` or NUL: MongoDB would read them as operators
and paths) and the nesting depth.
"""

from __future__ import annotations

import hashlib
import lzma
import zlib

import bson
import numpy as np

VERSION = 2
READS = (1, 2)
PACKED = 0x80  # BSON binary subtype (user-defined range): a packed float64 array
PACK_MIN = 8  # shorter lists are not worth a binary header
XZ_PRESET = 6
XZ_MEMLIMIT = 64 * 1024 * 1024  # the decoder's dictionary is the sender's choice: bounded
MAX_BATCH_BYTES = 4 * 1024 * 1024  # compressed, on the wire
MAX_DECODED_BYTES = 32 * 1024 * 1024  # BSON after decompression
MAX_ITEMS = 5000
MAX_DEPTH = 16
MAX_ID_CHARS = 512
CODECS = ("xz", "zlib", "zstd")
COLLECTIONS = ("observations", "tracks", "soundings", "vessels", "logbook", "waypoints")
HASH_HEADER = "X-Isomer-Sync-Batch"
CODEC_HEADER = "X-Isomer-Sync-Codec"


class BatchError(ValueError):
    """A batch the shore refuses as a whole: ``code`` is the numbered error, ``status`` HTTP."""

    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


def default_codec() -> str:
    """xz: in the standard library, and the fewest bytes on a link paid by the megabyte."""
    return "xz"


def pack_document(doc: dict) -> dict:
    """The document with its top-level float lists packed (see the module docstring)."""
    out = {}
    for key, value in doc.items():
        if (
            isinstance(value, list)
            and len(value) >= PACK_MIN
            and all(type(x) is float for x in value)
        ):
            bits = np.asarray(value, dtype="<f8").view("<i8")
            steps = np.diff(bits, prepend=np.int64(0))  # wraps around: exact both ways
            planes = steps.view(np.uint8).reshape(-1, 8).T
            out[key] = bson.Binary(planes.tobytes(), PACKED)
        else:
            out[key] = value
    return out


def unpack_document(doc: dict) -> dict:
    """:func:`pack_document` undone; ValueError for a packed field of a broken length."""
    out = {}
    for key, value in doc.items():
        if isinstance(value, bytes) and getattr(value, "subtype", None) == PACKED:
            if len(value) % 8:
                raise ValueError(f"packed field {key[:60]!r} is not a whole number of floats")
            planes = np.frombuffer(value, dtype=np.uint8).reshape(8, -1)
            steps = np.ascontiguousarray(planes.T).view("<i8").ravel()
            out[key] = np.cumsum(steps, dtype=np.int64).view("<f8").tolist()
        else:
            out[key] = value
    return out


def encode(
    after: int, to: int, items: list[dict], codec: str | None = None
) -> tuple[bytes, str, str]:
    """``(body, name, codec)`` of a batch."""
    packed = [{**item, "d": pack_document(item["d"])} if "d" in item else item for item in items]
    raw = bson.encode({"v": VERSION, "after": after, "to": to, "items": packed})
    codec = codec or default_codec()
    if codec == "xz":
        body = lzma.compress(raw, format=lzma.FORMAT_XZ, preset=XZ_PRESET)
    elif codec == "zstd":
        import zstandard

        body = zstandard.ZstdCompressor(level=6).compress(raw)
    else:
        body = zlib.compress(raw, 6)
    return body, hashlib.sha256(raw).hexdigest(), codec


def _inflate(body: bytes, codec: str) -> bytes:
    if codec == "zstd":
        try:
            import zstandard
        except ImportError:
            raise BatchError(50407, "this shore cannot read zstd batches; send zlib") from None
        reader = zstandard.ZstdDecompressor().stream_reader(body)
        chunks, size = [], 0
        try:
            while size <= MAX_DECODED_BYTES and (chunk := reader.read(1 << 20)):
                chunks.append(chunk)
                size += len(chunk)
        except zstandard.ZstdError as exc:
            raise BatchError(50403, f"the batch does not decompress: {exc}") from None
        raw = b"".join(chunks)
    elif codec == "xz":
        inflater = lzma.LZMADecompressor(format=lzma.FORMAT_XZ, memlimit=XZ_MEMLIMIT)
        try:
            raw = inflater.decompress(body, MAX_DECODED_BYTES + 1)
        except lzma.LZMAError as exc:
            raise BatchError(50403, f"the batch does not decompress: {exc}") from None
        if not inflater.eof and len(raw) <= MAX_DECODED_BYTES:
            raise BatchError(50403, "the batch is truncated")
    elif codec == "zlib":
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(body, MAX_DECODED_BYTES + 1)
        except zlib.error as exc:
            raise BatchError(50403, f"the batch does not decompress: {exc}") from None
        if not inflater.eof and len(raw) <= MAX_DECODED_BYTES:
            raise BatchError(50403, "the batch is truncated")
    else:
        raise BatchError(50407, f"unknown codec {codec!r}; use one of {', '.join(CODECS)}")
    if len(raw) > MAX_DECODED_BYTES:
        raise BatchError(50404, f"the batch decompresses past {MAX_DECODED_BYTES} bytes", 413)
    return raw


def decode(body: bytes, codec: str, name: str) -> dict:
    """The checked batch; :class:`BatchError` for what makes the whole batch unusable."""
    if len(body) > MAX_BATCH_BYTES:
        raise BatchError(50404, f"the batch is larger than {MAX_BATCH_BYTES} bytes", 413)
    raw = _inflate(body, codec)
    if hashlib.sha256(raw).hexdigest() != name:
        raise BatchError(50405, "the batch does not match its name (SHA-256 of its content)")
    try:
        batch = bson.decode(raw)
    except Exception as exc:  # any malformed BSON is the client's fault
        raise BatchError(50403, f"the batch is not BSON: {type(exc).__name__}") from None
    if batch.get("v") not in READS:
        readable = " and ".join(map(str, READS))
        raise BatchError(50406, f"batch format {batch.get('v')!r}; this shore reads {readable}")
    after, to, items = batch.get("after"), batch.get("to"), batch.get("items")
    if not _is_int(after) or not _is_int(to) or not 0 <= after < to:
        raise BatchError(50403, "after and to are integers, 0 ≤ after < to")
    if not isinstance(items, list):
        raise BatchError(50403, "items is a list")
    if len(items) > MAX_ITEMS:
        raise BatchError(50404, f"more than {MAX_ITEMS} items", 413)
    last = after
    for item in items:
        seq = item.get("s") if isinstance(item, dict) else None
        if not _is_int(seq) or not last < seq <= to:
            raise BatchError(50403, "items are numbered in increasing order within (after, to]")
        last = seq
        if batch["v"] >= 2 and isinstance(item.get("d"), dict):
            try:
                item["d"] = unpack_document(item["d"])
            except ValueError as exc:  # this item is refused, the rest of the batch kept
                item["packing"] = str(exc)
    return batch


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_item(item: dict) -> tuple[int, str] | None:
    """``(code, reason)`` if one item must be refused (the rest of its batch is kept)."""
    if "packing" in item:
        return 50620, item["packing"]
    collection = item.get("c")
    if collection not in COLLECTIONS:
        return 50408, f"collection {str(collection)[:60]!r} does not sync"
    if "del" in item:
        return _check_id(item["del"])
    doc = item.get("d")
    if not isinstance(doc, dict) or "_id" not in doc:
        return 50409, "a document with an _id"
    problem = _check_id(doc["_id"])
    if problem:
        return problem
    return check_fields(doc)


def _check_id(value) -> tuple[int, str] | None:
    from bson import ObjectId

    if isinstance(value, ObjectId) or _is_int(value):
        return None
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS:
        return None
    return 50409, "an _id is a string (≤ 512 characters), an integer or an ObjectId"


def check_fields(doc: dict) -> tuple[int, str] | None:
    """Field names MongoDB would misread, and nesting past ``MAX_DEPTH`` (no recursion)."""
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return 50410, f"nested more than {MAX_DEPTH} levels"
            for key, child in value.items():
                if not key or key.startswith("$") or "." in key or "\0" in key:
                    return 50410, f"field name {key[:60]!r}"
                stack.append((child, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return 50410, f"nested more than {MAX_DEPTH} levels"
            stack.extend((child, depth + 1) for child in value)
    return None
