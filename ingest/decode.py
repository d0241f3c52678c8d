"""The per-line decoder: one raw line in, normalized observations out, nothing ever raised.

This is the live path (serial ports, UDP, TCP feeds hand it one line at a time with the
time they received it) and the reference behaviour for the batch decoder in
:mod:`isomer_data.ingest.fastpath`. Stages, in order: framing (:mod:`isomer_data.ingest.framing`), checksum,
sentence table lookup (:mod:`isomer_data.ingest.sentences`) or AIS reassembly (:mod:`isomer_data.ingest.ais`),
time (:mod:`isomer_data.ingest.clock`), the row's extractors and impossible-value ranges
(:meth:`isomer_data.ingest.normalize.Sentence.decode`). Every
refusal is a count in :attr:`Decoder.report`, so a corrupt log degrades the data instead
of stopping the ingest.

Example
-------
>>> from isomer_data.ingest.decode import Decoder
>>> decoder = Decoder(source="ttyUSB0")
>>> [o.path for o in decoder.feed("$SDDBT,22.6,f,6.9,M,3.8,F*34", received=1714564800.0)]
['environment.depth.belowTransducer']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyais
import pynmea2
from isomer_data.ingest import report as reasons
from isomer_data.ingest.ais import FragmentBuffer, ais_values
from isomer_data.ingest.clock import (
    GIVEN,
    LOGGER,
    RECEIVE_TIME,
    Clock,
    nearest_time_of_day,
    parse_ddmmyy,
    parse_time_of_day,
    ymd,
)
from isomer_data.ingest.framing import FramingError, checksum, frame_line, open_log
from isomer_data.ingest.normalize import NotMapped, SentenceTime, Stream, check, iso_time
from isomer_data.ingest.observation import SELF, Observation, mmsi_urn
from isomer_data.ingest.report import IngestReport
from isomer_data.ingest.sentences import SENTENCES
from isomer_data.ingest.validation import EARLIEST, FUTURE

# Talker sentences pynmea2 knows: valid NMEA we simply do not map (GSV, GSA, ...).
KNOWN_UNMAPPED = frozenset(pynmea2.TalkerSentence.sentence_types) - SENTENCES.keys()
# Per sentence type: the row's per-line evaluation, its status field and where its time is.
ROWS = {kind: (row.decode, row.status, row.time) for kind, row in SENTENCES.items()}
# Rows that may complete a date and time over several sentences (Seatalk 56 + 54).
CLOCK_ROWS = frozenset(kind for kind, row in SENTENCES.items() if row.clock)


class Decoder:
    """Stateful decoder for one stream (clock, AIS fragments and report are per stream).

    Parameters
    ----------
    vessel : str
        Context for own-vessel data (NMEA instruments and ``!AIVDO``); AIS targets get
        ``urn:mrn:imo:mmsi:NNN`` whatever this is.
    source : str
        Source label prefix; observations carry ``"<source>.<talker>"`` (Signal K style),
        or the TAG block ``s:`` label instead of ``source`` when the logger wrote one.
    report : IngestReport, optional
        Pass one to accumulate several streams into one report.
    max_ais_fragments : int
        Bound on incomplete multi-sentence AIS messages held.
    start : float, optional
        POSIX seconds the clock starts from: times of day before the first date resolve
        against it (nearest instant), and sentences without any time before the first
        time take it. Files get it from :func:`isomer_data.ingest.dating.log_start`.
    start_source : str
        The rule that found ``start`` (one of ``clock.TIME_SOURCES``).
    """

    def __init__(
        self,
        vessel: str = SELF,
        source: str = "nmea0183",
        report: IngestReport | None = None,
        max_ais_fragments: int = 64,
        start: float | None = None,
        start_source: str = GIVEN,
    ) -> None:
        self.vessel = vessel
        self.source = source
        self.report = report if report is not None else IngestReport()
        self.clock = Clock(start, start_source)
        self.fragments = FragmentBuffer(max_ais_fragments)
        # What rows with their own logic keep between sentences (GSV sequences, Seatalk
        # position halves): per stream, like the clock.
        self.stream = Stream()
        self._labels: dict[str | tuple[str, str], str] = {}

    def feed(self, line: str | bytes, received: float | None = None) -> list[Observation]:
        """Decode one line.

        Parameters
        ----------
        line : str or bytes
            A raw log line, with or without wrapper (timestamp prefix, TAG block, Signal K
            multiplexed ``millis;N;``) and line ending.
        received : float, optional
            POSIX seconds the line arrived; used when neither the sentence nor its wrapper
            carries a time.

        Returns
        -------
        list of Observation
            Possibly empty; refusals are counted in :attr:`report`.
        """
        report = self.report
        report.lines += 1
        if type(line) is not str:
            try:
                line = line.decode("ascii")
            except UnicodeDecodeError:
                report.reject(reasons.NOT_NMEA, line)
                return []
        hint = tod_hint = label = None
        first = line[:1]
        if first == "$" or first == "!":
            sentence = line.rstrip()
        else:
            try:
                frame = frame_line(line)
            except FramingError as error:
                report.reject(error.reason, line)
                return []
            if frame is None:
                report.lines -= 1  # blank lines and comments are not data
                return []
            sentence, hint, tod_hint, label = frame
            first = sentence[:1]
            if first != "$" and first != "!":
                report.reject(reasons.NOT_NMEA, line)
                return []
        star = sentence.rfind("*")
        if star < 0 or len(sentence) - star < 3:
            report.reject(reasons.TRUNCATED, line)
            return []
        body = sentence[1:star]
        try:
            expected = int(sentence[star + 1 : star + 3], 16)
        except ValueError:
            report.reject(reasons.BAD_CHECKSUM, line)
            return []
        if len(sentence) - star != 3 or checksum(body) != expected:
            report.reject(reasons.BAD_CHECKSUM, line)
            return []
        parts = body.split(",")
        if first == "!":
            return self._ais(sentence, parts, line, hint, tod_hint, received, label)
        return self._sentence(parts, line, hint, tod_hint, received, label)

    def feed_verified(self, parts: list[str], line: str) -> list[Observation]:
        """A ``$`` line of a file whose framing and checksum the caller has checked.

        ``parts`` is the body (between ``$`` and ``*``) split at commas. For the batch
        decoder, which verifies whole columns of lines before handing a few to this
        decoder: the result is :meth:`feed`'s for the same line, without the work done twice.
        """
        self.report.lines += 1
        return self._sentence(parts, line, None, None, None, None)

    def _sentence(
        self,
        parts: list[str],
        line: str,
        hint: float | None,
        tod_hint: float | None,
        received: float | None,
        label: str | None,
    ) -> list[Observation]:
        """A talker or proprietary sentence after framing and checksum: table row to values."""
        report = self.report
        address = parts[0]
        if address[:1] == "P":
            kind, talker = address, "P"
        else:
            kind, talker = address[2:], address[:2]
        compiled = ROWS.get(kind)
        if compiled is None:
            if kind in KNOWN_UNMAPPED:
                report.unmapped[kind] += 1
            else:
                report.reject(reasons.UNKNOWN_SENTENCE, line)
            return []
        decode, status, when = compiled
        fields = parts[1:]
        if status is not None:
            index, letters = status
            if index >= len(fields) or not fields[index] or fields[index] not in letters:
                report.reject(reasons.VOID_FIX, line)
                return []
        time = time_source = None
        dated = False
        clocked = kind in CLOCK_ROWS
        clock = self.clock
        before = (clock.last, clock.source) if received is not None else None
        try:
            if when is not None and when.tod < len(fields) and fields[when.tod]:
                time, dated = self._sentence_time(when, fields, hint, received)
                time_source = self.clock.source
            if time is None:
                if hint is None and tod_hint is None and received is None:
                    time, time_source = self.clock.last, self.clock.source
                else:
                    time, time_source = self._fallback_time(hint, tod_hint, received)
                if time is None and not clocked:
                    report.reject(reasons.NO_TIME, line)
                    return []
            source = self._labels.get(talker if label is None else (label, talker))
            if source is None:
                source = self._label(label, talker)
            stream = self.stream
            stream.talker = talker
            if clocked:
                out, time, time_source = self._clocked(
                    decode, fields, time, time_source, source, line
                )
                if time is None:
                    return []
            else:
                out = decode(fields, time, self.vessel, source, line, report.reject, stream)
        except (ValueError, IndexError, ArithmeticError):
            report.reject(reasons.MALFORMED_FIELD, line)
            return []
        except NotMapped as unmapped:
            report.unmapped[unmapped.label] += 1
            return []
        # Live input gets the same time window as every other live entry point
        # (ingest.validation): a clock sentence dated 9999 would pin live values. The window
        # is relative to the receive time; a file has none (its times are bounded by the
        # sentence formats), so file decoding, per line or in columns, never applies it.
        if received is not None and not EARLIEST <= time <= received + FUTURE:
            clock.last, clock.source = before  # nor may it date the times of day after it
            report.reject(reasons.IMPOSSIBLE_TIME, line)
            return []
        for o in out:
            o.time_source = time_source
        if dated:
            out.append(
                Observation(
                    time, self.vessel, "navigation.datetime", iso_time(time), source, time_source
                )
            )
        report.accepted[kind] += 1
        report.observations += len(out)
        if out:
            report.dated[time_source] += len(out)
        return out

    def _clocked(
        self,
        decode,
        fields: list[str],
        time: float | None,
        time_source: str | None,
        source: str,
        line: str,
    ) -> tuple[list[Observation], float | None, str | None]:
        """A row that may complete a date and time (Seatalk 56 + 54): decoded even before
        any time is known, since it may be the first date of the log; when it completes
        one, the clock is set from it and its values take that instant, as RMC's do.

        Returns ``time`` None after refusing the sentence as ``no_time``: nothing dated it.
        """
        report, stream = self.report, self.stream
        stream.fix = None
        held: list[str] = []
        reject = report.reject if time is not None else (lambda reason, _: held.append(reason))
        out = decode(fields, time or 0.0, self.vessel, source, line, reject, stream)
        if stream.fix is not None:
            time, time_source = self.clock.fix(stream.fix), self.clock.source
            for o in out:
                o.time = time
        elif time is None:
            report.reject(reasons.NO_TIME, line)
            return [], None, None
        for reason in held:
            report.reject(reason, line)
        return out, time, time_source

    def _sentence_time(
        self, when: SentenceTime, fields: list[str], hint: float | None, received: float | None
    ) -> tuple[float | None, bool]:
        """The sentence's own time: full when it has a date, else resolved by the clock."""
        tod = parse_time_of_day(fields[when.tod])
        if when.ddmmyy is not None:
            if when.ddmmyy < len(fields) and fields[when.ddmmyy]:
                return self.clock.full(parse_ddmmyy(fields[when.ddmmyy]), tod), True
        elif when.ymd is not None:
            y, m, d = when.ymd
            if max(when.ymd) < len(fields) and fields[y] and fields[m] and fields[d]:
                return self.clock.full(ymd(fields[y], fields[m], fields[d]), tod), True
        if hint is not None:
            return self.clock.time_of_day(tod, hint, LOGGER), False
        return self.clock.time_of_day(tod, received, RECEIVE_TIME), False

    def _fallback_time(
        self, hint: float | None, tod_hint: float | None, received: float | None
    ) -> tuple[float | None, str | None]:
        """A time for a sentence that has none of its own, and the rule that gave it."""
        if hint is not None:
            return hint, LOGGER
        if tod_hint is not None:
            if self.clock.last is not None:
                return nearest_time_of_day(tod_hint, self.clock.last), self.clock.source
            if received is None:
                return None, None
            return nearest_time_of_day(tod_hint, received), RECEIVE_TIME
        if received is not None:
            return received, RECEIVE_TIME
        return self.clock.last, self.clock.source

    def _label(self, label: str | None, talker: str) -> str:
        key = talker if label is None else (label, talker)
        text = self._labels.get(key)
        if text is None:
            text = self._labels[key] = f"{label or self.source}.{talker}"
        return text

    def _observations(
        self,
        values: list,
        time: float,
        vessel: str,
        source: str,
        line: str,
        time_source: str | None = None,
    ) -> list[Observation]:
        out = []
        for path, value in values:
            reason = check(path, value)
            if reason is None:
                out.append(Observation(time, vessel, path, value, source, time_source))
            else:
                self.report.reject(reason, line)
        self.report.observations += len(out)
        if out:
            self.report.dated[time_source] += len(out)
        return out

    def _ais(
        self,
        sentence: str,
        parts: list[str],
        line: str,
        hint: float | None,
        tod_hint: float | None,
        received: float | None,
        label: str | None,
    ) -> list[Observation]:
        report = self.report
        if len(parts) < 7 or parts[0][2:] not in ("VDM", "VDO"):
            report.reject(reasons.UNKNOWN_SENTENCE, line)
            return []
        lost = self.fragments.lost
        try:
            fragments = self.fragments.add(sentence, parts)
        except ValueError:
            report.reject(reasons.MALFORMED_FIELD, line)
            return []
        if self.fragments.lost != lost:
            report.rejected[reasons.AIS_FRAGMENT_LOST] += self.fragments.lost - lost
        if fragments is None:
            return []
        try:
            message = pyais.decode(*fragments).asdict()
        except Exception:  # pyais raises many kinds on bad payloads; all mean "undecodable"
            report.reject(reasons.AIS_DECODE_ERROR, line)
            return []
        time, time_source = self._fallback_time(hint, tod_hint, received)
        if time is None:
            report.reject(reasons.NO_TIME, line)
            return []
        own = parts[0][2:] == "VDO"
        vessel = self.vessel if own else mmsi_urn(message["mmsi"])
        report.accepted[f"{parts[0][2:]}{message['msg_type']}"] += 1
        return self._observations(
            ais_values(message), time, vessel, self._label(label, parts[0][:2]), line, time_source
        )


def decode_lines(
    lines: Iterable[str | bytes],
    vessel: str = SELF,
    source: str = "nmea0183",
    report: IngestReport | None = None,
    start: float | None = None,
    start_source: str = GIVEN,
) -> Iterator[Observation]:
    """Decode a whole log lazily; pass ``report`` to read the counts afterwards.

    Without ``start``, lines without any time (plain NMEA before the first RMC/ZDA) are
    refused as ``no_time``: a file has no reception time to fall back on. File ingest
    passes the start :func:`isomer_data.ingest.dating.log_start` finds.
    """
    decoder = Decoder(
        vessel=vessel, source=source, report=report, start=start, start_source=start_source
    )
    feed = decoder.feed
    for line in lines:
        yield from feed(line)


def decode_file(
    path: str | Path,
    vessel: str = SELF,
    source: str | None = None,
    report: IngestReport | None = None,
) -> Iterator[Observation]:
    """:func:`decode_lines` over a (possibly gzipped) log file; source defaults to its name."""
    with open_log(path) as handle:
        yield from decode_lines(handle, vessel, source or Path(path).stem, report)
