"""Signal K notifications with alarm states, silencing and acknowledging.

A notification is the value of a ``notifications.*`` path: ``{state, method, message}``
with ``state`` one of ``normal``, ``nominal``, ``alert``, ``warn``, ``alarm``, ``emergency``
and ``method`` a list of ``visual``, ``sound``. Whoever publishes one (the anchor watch, an
AIS module, a vessel's delta, this API) publishes it to the live state as before; on its way
in, :meth:`Notifications.filter` gives it an ``id`` (one per vessel, path and source) and a
``status`` ``{silenced, acknowledged, canSilence, canAcknowledge, canClear}``, and aligns
``method`` with what people did: silenced takes ``sound`` away, acknowledged both (an
emergency stays visual). That is the shape Signal K server's notifications API sends and
Freeboard-SK reads.

People act on them with ``/signalk/v2/api/notifications`` (``POST ID/silence``,
``POST ID/acknowledge``, ``silenceAll``, ``acknowledgeAll``, ``DELETE ID`` to clear what the
API raised, ``POST`` to raise, ``POST mob``) or, Signal K v1 style, a ``PUT`` of
``{method: [...]}`` on the notification's path. A new alarm (from ``normal`` to anything
else) is loud again. Notifications back at ``normal`` are forgotten after a minute.

Modules raise and clear their own with :meth:`Notifications.notify` (``platform.notifications``)
or simply publish ``notifications.*`` observations, as the anchor watch does.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from operator import attrgetter

from isomer_data.core.parsing import coded

STATES = ("normal", "nominal", "alert", "warn", "alarm", "emergency")
METHODS = ("visual", "sound")
API_SOURCE = "notificationsApi"
MAX_ALARMS = 1000  # tracked notifications; normal ones go first when full
FORGET_AFTER = 60.0  # s a notification back at normal stays listed
MAX_MESSAGE = 1000
_PATH = attrgetter("path")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Alarm:
    __slots__ = ("id", "vessel", "path", "source", "raw", "status", "normal_since", "created")

    def __init__(self, alarm_id: str, vessel: str, path: str, source: str, external: bool):
        self.id = alarm_id
        self.vessel = vessel
        self.path = path
        self.source = source
        self.raw: dict = {"state": "normal", "method": [], "message": ""}
        self.status = {
            "silenced": False,
            "acknowledged": False,
            "canSilence": True,
            "canAcknowledge": True,
            "canClear": not external,  # only what the API raised; a source clears its own
        }
        self.normal_since: float | None = time.monotonic()
        self.created = time.monotonic()

    @property
    def state(self) -> str:
        return self.raw.get("state", "normal")

    def take(self, value) -> None:
        """The source's new value: a new alarm is loud again; N2K-style status fields count."""
        previous = self.state
        if not isinstance(value, dict):
            value = {"state": "normal", "method": [], "message": ""}
        self.raw = dict(value)
        state = self.state
        if previous == "normal" and state != "normal":
            self.status["silenced"] = self.status["acknowledged"] = False
            self.status.pop("acknowledgedAt", None)
        if value.get("acknowledgeStatus") == "Yes" and not self.status["acknowledged"]:
            self.status.update(acknowledged=True, acknowledgedAt=_now_iso())
        if value.get("temporarySilenceStatus") == "Yes":
            self.status["silenced"] = True
        if "temporarySilenceSupport" in value:
            self.status["canSilence"] = value["temporarySilenceSupport"] == "Yes"
        if "acknowledgeSupport" in value:
            self.status["canAcknowledge"] = value["acknowledgeSupport"] == "Yes"
        self.normal_since = time.monotonic() if state == "normal" else None

    def value(self) -> dict:
        """What clients see: the source's value, method aligned, with ``id`` and ``status``."""
        out = dict(self.raw)
        method = out.get("method")
        method = [m for m in method if m in METHODS] if isinstance(method, list) else []
        if self.status["acknowledged"]:
            method = ["visual"] if self.state == "emergency" else []
        elif self.status["silenced"] and self.state != "emergency":
            method = [m for m in method if m != "sound"]
        out["method"] = method
        out["id"] = self.id
        out["status"] = dict(self.status)
        return out


def _not_found(alarm_id) -> Exception:
    return coded("invalid", 40247, f"Alarm not found! ({str(alarm_id)[:64]})", {"field": "id"})


class Notifications:
    """Every notification's alarm state (``platform.notifications``)."""

    def __init__(self, platform):
        self.platform = platform
        self.alarms: dict[str, Alarm] = {}
        self.keys: dict[tuple[str, str, str], str] = {}
        self._emitting = False

    # the live state's input filter ----------------------------------------------------------

    def filter(self, batch: list) -> list:
        """Notifications get their id and status on the way into the live state."""
        if self._emitting:
            return batch
        # On the hot path of every publication: one join and one search (about 0.1 µs an
        # observation) say whether any is a notification; only then look at each.
        if "\nnotifications." not in "\n" + "\n".join(map(_PATH, batch)):
            return batch
        from isomer_data.ingest.observation import Observation

        out = None
        for i, o in enumerate(batch):
            if not o.path.startswith("notifications."):
                continue
            if out is None:
                out = list(batch)
            alarm = self._alarm(o.vessel, o.path, o.source, external=o.source != API_SOURCE)
            alarm.take(o.value)
            out[i] = Observation(o.time, o.vessel, o.path, alarm.value(), o.source)
        return batch if out is None else out

    def _alarm(self, vessel: str, path: str, source: str, external: bool) -> Alarm:
        key = (vessel, path, source)
        alarm_id = self.keys.get(key)
        if alarm_id is not None and alarm_id in self.alarms:
            return self.alarms[alarm_id]
        self._forget()
        alarm_id = str(uuid.uuid4())
        self.keys[key] = alarm_id
        alarm = self.alarms[alarm_id] = Alarm(alarm_id, vessel, path, source, external)
        return alarm

    def _forget(self) -> None:
        """Drop notifications long back at normal; keep at most ``MAX_ALARMS``."""
        now = time.monotonic()
        gone = [
            a
            for a in self.alarms.values()
            if a.normal_since is not None and now - a.normal_since > FORGET_AFTER
        ]
        if len(self.alarms) - len(gone) >= MAX_ALARMS:
            rest = sorted(
                (a for a in self.alarms.values() if a not in gone),
                key=lambda a: (a.normal_since is None, a.created),
            )
            gone += rest[: len(self.alarms) - len(gone) - MAX_ALARMS + 1]
        for alarm in gone:
            self.alarms.pop(alarm.id, None)
            self.keys.pop((alarm.vessel, alarm.path, alarm.source), None)

    def _emit(self, alarm: Alarm) -> None:
        from isomer_data.ingest.observation import Observation

        observation = Observation(
            time.time(), alarm.vessel, alarm.path, alarm.value(), alarm.source
        )
        self._emitting = True
        try:
            self.platform.live.publish([observation])
        finally:
            self._emitting = False

    # reading -------------------------------------------------------------------------------

    def _context(self, vessel: str) -> str:
        if vessel == "self":
            from isomer_data.services.signalk.model import self_urn

            return f"vessels.{self_urn(self.platform.config.instance)}"
        return f"vessels.{vessel}"

    def list(self) -> dict:
        self._forget()
        return {
            a.id: {"context": self._context(a.vessel), "path": a.path, "value": a.value()}
            for a in self.alarms.values()
        }

    def get(self, alarm_id: str) -> dict | None:
        alarm = self.alarms.get(alarm_id)
        if alarm is None:
            return None
        return {"context": self._context(alarm.vessel), "path": alarm.path, "value": alarm.value()}

    def find(self, vessel: str, path: str) -> Alarm | None:
        """The notification at a path (whichever source raised it; the latest if several)."""
        found = [a for a in self.alarms.values() if a.vessel == vessel and a.path == path]
        return max(found, key=lambda a: a.created) if found else None

    # people's actions ------------------------------------------------------------------------

    def _get(self, alarm_id) -> Alarm:
        alarm = self.alarms.get(alarm_id) if isinstance(alarm_id, str) else None
        if alarm is None:
            raise _not_found(alarm_id)
        return alarm

    def silence(self, alarm_id: str) -> None:
        alarm = self._get(alarm_id)
        if not alarm.status["canSilence"]:
            raise coded("invalid", 40247, "Alarm cannot be silenced!", {"field": "id"})
        if alarm.status["silenced"] or alarm.status["acknowledged"]:
            raise coded(
                "invalid", 40247, "Alarm already silenced or acknowledged!", {"field": "id"}
            )
        if alarm.state == "emergency":
            raise coded("invalid", 40247, "Cannot silence Emergency Alarm!", {"field": "id"})
        alarm.status["silenced"] = True
        self._emit(alarm)

    def acknowledge(self, alarm_id: str) -> None:
        alarm = self._get(alarm_id)
        if not alarm.status["canAcknowledge"]:
            raise coded("invalid", 40247, "Alarm cannot be acknowledged!", {"field": "id"})
        if alarm.status["acknowledged"]:
            raise coded("invalid", 40247, "Alarm already acknowledged!", {"field": "id"})
        alarm.status.update(acknowledged=True, acknowledgedAt=_now_iso())
        self._emit(alarm)

    def silence_all(self) -> None:
        for alarm in list(self.alarms.values()):
            status = alarm.status
            if (
                alarm.state not in ("normal", "nominal", "emergency")
                and status["canSilence"]
                and not (status["silenced"] or status["acknowledged"])
            ):
                status["silenced"] = True
                self._emit(alarm)

    def acknowledge_all(self) -> None:
        for alarm in list(self.alarms.values()):
            status = alarm.status
            if (
                alarm.state not in ("normal", "nominal")
                and status["canAcknowledge"]
                and not status["acknowledged"]
            ):
                status.update(acknowledged=True, acknowledgedAt=_now_iso())
                self._emit(alarm)

    def clear(self, alarm_id: str) -> None:
        """Back to normal; only for what the API raised (a source clears its own)."""
        alarm = self._get(alarm_id)
        if not alarm.status["canClear"]:
            raise coded("invalid", 40247, "Alarm cannot be cleared!", {"field": "id"})
        alarm.raw = {**alarm.raw, "state": "normal"}
        alarm.status.update(silenced=False, acknowledged=False)
        alarm.status.pop("acknowledgedAt", None)
        alarm.normal_since = time.monotonic()
        self._emit(alarm)

    @staticmethod
    def _options(options, creating: bool) -> dict:
        if not isinstance(options, dict):
            raise coded("invalid", 40248, "expected {state, message, …}", {"field": ""})
        out = {}
        state = options.get("state")
        if state is not None or creating:
            if state not in STATES:
                raise coded(
                    "invalid", 40248, f"state: one of {', '.join(STATES)}", {"field": "state"}
                )
            out["state"] = state
        message = options.get("message")
        if message is not None:
            if not isinstance(message, str) or len(message) > MAX_MESSAGE:
                raise coded(
                    "invalid",
                    40248,
                    f"message: text of at most {MAX_MESSAGE}",
                    {"field": "message"},
                )
            out["message"] = message
        path = options.get("path")
        if path is not None:
            from isomer_data.ingest.validation import BadValue, check_name

            try:
                check_name(path, "path")
            except BadValue as exc:
                raise coded("invalid", 40248, str(exc), {"field": "path"}) from None
            if len(path) > 200:
                raise coded("invalid", 40248, "path: at most 200 characters", {"field": "path"})
            out["path"] = path
        return out

    def raise_alarm(self, options) -> str:
        """Raise a notification through the API (``POST /notifications``); returns its id.

        ``{state, message?, path?, appendId?, position?, createdAt?}``: without a path it is
        ``notifications.<id>``; an emergency always records the boat's position and time.
        """
        opts = self._options(options, creating=True)
        alarm_id = str(uuid.uuid4())
        path = opts.get("path", alarm_id)
        path = path if path.startswith("notifications.") else f"notifications.{path}"
        if options.get("appendId") is True and "path" in opts:
            path = f"{path}.{alarm_id}"
        self._forget()
        alarm = Alarm(alarm_id, "self", path, API_SOURCE, external=False)
        self.alarms[alarm_id] = alarm
        self.keys[("self", path, API_SOURCE)] = alarm_id
        value: dict = {
            "state": opts["state"],
            "method": ["visual", "sound"],
            "message": opts.get("message", ""),
        }
        emergency = opts["state"] == "emergency"
        if options.get("position") is True or emergency:
            found = self.platform.live.get("self", "navigation.position")
            value["position"] = found[1] if found else None
        if options.get("createdAt") is True or emergency:
            value["createdAt"] = _now_iso()
        alarm.take(value)
        alarm.status["canSilence"] = not emergency
        self._emit(alarm)
        return alarm_id

    def update(self, alarm_id: str, options) -> None:
        alarm = self._get(alarm_id)
        opts = self._options(options, creating=False)
        value = dict(alarm.raw)
        value.update({k: v for k, v in opts.items() if k in ("state", "message")})
        alarm.take(value)
        if "state" in opts:
            alarm.status["canSilence"] = opts["state"] != "emergency"
        self._emit(alarm)

    def mob(self, message=None) -> str:
        return self.raise_alarm(
            {
                "state": "emergency",
                "message": message if isinstance(message, str) else "Person Overboard!",
                "path": "mob",
                "appendId": True,
                "position": True,
                "createdAt": True,
            }
        )

    # for modules -----------------------------------------------------------------------------

    def notify(
        self,
        path: str,
        state: str,
        message: str = "",
        method: list[str] | None = None,
        *,
        vessel: str = "self",
        source: str = "isomer",
        **extra,
    ) -> str:
        """Raise, change or end (``state="normal"``) a module's notification; returns its id.

        Parameters
        ----------
        path : str
            ``navigation.anchor`` or ``notifications.navigation.anchor``.
        state : str
            One of :data:`STATES`.
        message : str
            What people read.
        method : list of str, optional
            ``visual`` and/or ``sound``; default both, none when ``normal``.
        vessel, source : str
            Whose notification and who raises it: one id per (vessel, path, source).
        **extra
            More fields of the value (``position``, ``createdAt``…).

        Call it on the event loop, outside a live listener (from a listener, schedule it with
        ``loop.call_soon``), as for any live publication.

        Examples
        --------
        >>> platform.notifications.notify("navigation.anchor", "alarm", "Anchor dragging")
        >>> platform.notifications.notify("navigation.anchor", "normal", "Back inside")
        """
        from isomer_data.ingest.observation import Observation

        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        if not path.startswith("notifications."):
            path = f"notifications.{path}"
        if method is None:
            method = [] if state == "normal" else ["visual", "sound"]
        value = {"state": state, "method": list(method), "message": str(message), **extra}
        self.platform.live.publish([Observation(time.time(), vessel, path, value, source)])
        return self.keys[(vessel, path, source)]

    def clear_path(self, path: str, message: str = "", *, vessel="self", source="isomer") -> str:
        """End a module's notification: back to ``normal``."""
        return self.notify(path, "normal", message, vessel=vessel, source=source)

    # Signal K v1: PUT {method} on the notification's path ------------------------------------

    def put_method(self, context: str, path: str, value, user) -> dict:
        """A PUT handler: ``{"method": [...]}`` without ``sound`` silences, empty acknowledges."""
        alarm = self.find("self", path)
        if alarm is None:
            return {"state": "COMPLETED", "statusCode": 404, "message": f"no notification {path}"}
        method = value.get("method") if isinstance(value, dict) else None
        if not isinstance(method, list) or not all(m in METHODS for m in method):
            return {
                "state": "COMPLETED",
                "statusCode": 400,
                "message": 'value: {"method": [] (acknowledge) or ["visual"] (silence)}',
            }
        if not method:
            if not alarm.status["acknowledged"]:
                self.acknowledge(alarm.id)
        elif "sound" not in method and not (
            alarm.status["silenced"] or alarm.status["acknowledged"]
        ):
            self.silence(alarm.id)
        return {"state": "COMPLETED", "statusCode": 200}
