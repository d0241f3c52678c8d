"""What the decoder accepted and what it refused, and why.

Bad input must never stop an ingest, but silently dropping it hides broken instruments, so
every refusal is counted under a stable reason code (the keys below are stored in MongoDB
and compared across runs, so they are part of the API) with the first few lines kept as
examples.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# Reason codes. One place, so the CLI, the database and the tests agree on spelling.
BAD_CHECKSUM = "bad_checksum"
BAD_TAG_CHECKSUM = "bad_tag_checksum"
MISSING_CHECKSUM = "missing_checksum"
NOT_NMEA = "not_nmea"
TRUNCATED = "truncated"
UNKNOWN_SENTENCE = "unknown_sentence"
MALFORMED_FIELD = "malformed_field"
VOID_FIX = "void_status"
NOT_A_NUMBER = "not_a_number"
IMPOSSIBLE_POSITION = "impossible_position"
NEGATIVE_SPEED = "negative_speed"
NEGATIVE_DEPTH = "negative_depth"
IMPOSSIBLE_ANGLE = "impossible_angle"
IMPOSSIBLE_TEMPERATURE = "impossible_temperature"
NO_TIME = "no_time"
IMPOSSIBLE_TIME = "impossible_time"
UNSUPPORTED_FRAME = "unsupported_frame"
AIS_DECODE_ERROR = "ais_decode_error"
AIS_FRAGMENT_LOST = "ais_fragment_lost"
# NMEA 2000 (isomer_data.ingest.n2k): lines of no known format, frames that do not parse,
# PGNs not in canboat's database, fast packets with a frame missing, payloads that do not
# decode.
NOT_N2K = "not_n2k"
N2K_MALFORMED_FRAME = "n2k_malformed_frame"
N2K_UNKNOWN_PGN = "n2k_unknown_pgn"
N2K_FAST_PACKET_LOST = "n2k_fast_packet_lost"
N2K_DECODE_ERROR = "n2k_decode_error"


def _printable(text: str) -> str:
    """Escape control and non-ASCII characters so examples survive terminals and JSON."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if " " <= c < "\x7f" else f"\\x{ord(c) & 0xFF:02x}" for c in text)


def _rule(item: tuple[str | None, int]) -> str:
    return item[0] or "unknown"


class IngestReport:
    """Counts of accepted sentences by type and of refusals by reason.

    Parameters
    ----------
    max_examples : int
        How many offending lines to keep per reason; enough to diagnose, bounded so a
        corrupt multi-gigabyte log cannot blow up the report document.
    """

    def __init__(self, max_examples: int = 3) -> None:
        self.max_examples = max_examples
        self.lines = 0
        self.observations = 0
        self.accepted: Counter[str] = Counter()
        self.unmapped: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        # Observations by the rule that dated them (``clock.TIME_SOURCES``).
        self.dated: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def reject(self, reason: str, line: str | bytes) -> None:
        self.rejected[reason] += 1
        kept = self.examples.setdefault(reason, [])
        if len(kept) < self.max_examples:
            if isinstance(line, bytes):
                line = line.decode("ascii", "backslashreplace")
            kept.append(_printable(line.rstrip("\r\n")[:200]))

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def merge(self, other: IngestReport) -> None:
        """Fold another report in, e.g. from parallel workers over one voyage."""
        self.lines += other.lines
        self.observations += other.observations
        self.accepted.update(other.accepted)
        self.unmapped.update(other.unmapped)
        self.rejected.update(other.rejected)
        self.dated.update(other.dated)
        for reason, lines in other.examples.items():
            kept = self.examples.setdefault(reason, [])
            kept.extend(lines[: self.max_examples - len(kept)])

    def to_dict(self) -> dict[str, Any]:
        """A plain document (str keys, int counts) ready for MongoDB or JSON."""
        return {
            "lines": self.lines,
            "observations": self.observations,
            "accepted": dict(sorted(self.accepted.items())),
            "unmapped": dict(sorted(self.unmapped.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "dated": {k or "unknown": v for k, v in sorted(self.dated.items(), key=_rule)},
            "examples": {k: list(v) for k, v in sorted(self.examples.items())},
        }

    def format(self) -> str:
        """A few lines for a terminal: totals, then the reasons worst first."""
        accepted = sum(self.accepted.values())
        out = [
            f"{self.lines} lines: {accepted} sentences decoded, "
            f"{self.rejected_total} rejected, {self.observations} observations"
        ]
        if self.accepted:
            out.append(
                "  decoded: " + ", ".join(f"{k} {v}" for k, v in sorted(self.accepted.items()))
            )
        if self.dated:
            out.append(
                "  dated by: "
                + ", ".join(
                    f"{k or 'unknown'} {v}" for k, v in sorted(self.dated.items(), key=_rule)
                )
                + " (observations)"
            )
        if self.unmapped:
            out.append(
                "  valid but not mapped: "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.unmapped.items()))
            )
        for reason, count in self.rejected.most_common():
            out.append(f"  rejected {reason}: {count}")
            for example in self.examples.get(reason, []):
                out.append(f"      e.g. {example}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"<IngestReport lines={self.lines} observations={self.observations} rejected={self.rejected_total}>"
