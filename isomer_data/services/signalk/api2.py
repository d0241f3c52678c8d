"""Signal K server's v2 REST APIs that web apps call: resources, course, notifications; and
the v1 PUT requests (``PUT /signalk/v1/api/vessels/self/PATH``, ``/signalk/v1/requests/ID``).

Answers have Signal K server's shapes and status codes (``{"state": "COMPLETED",
"statusCode": 200, …}``, errors ``{"state": "FAILED", "statusCode", "message"}``), so
Freeboard-SK works unchanged. Who may: everything needs a login; reading (GET) is for crew,
scientists, vessels and admins, changing for crew, scientists and admins
(``isomer.signalk`` in the Authorizer); each object's own permissions apply on top.

Web apps such as Freeboard-SK use the platform's login cookie (or ``JAUTHENTICATION``) and
know nothing of Jupyter's XSRF token: a state-changing request carrying a cookie is
accepted with the XSRF token *or* with an ``Origin`` header naming this server (browsers send
``Origin`` on every POST, PUT and DELETE, and another site cannot forge it); without either,
refused. Requests with a token in the ``Authorization`` header are scripts' and need neither.
"""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from pymongo.errors import PyMongoError
from tornado import web

from isomer_data.core.errors import DomainError, database_error
from isomer_data.core.parsing import coded, parse
from isomer_data.services.auth.authorizer import SIGNALK
from isomer_data.services.auth.origin import SameOriginWrites
from isomer_data.services.signalk.resources import LISTED, TYPES, UNSTORED, parse_query

MAX_BODY = 1 << 20
# The v2 APIs served here, as /signalk/v2/features lists them under "apis" (Freeboard-SK
# turns its alarm list on only when "notifications" is there).
V2_APIS = ("resources", "course", "notifications")
OK = {"state": "COMPLETED", "statusCode": 200, "message": "OK"}
V2 = "/signalk/v2/api"
RESOURCE_TYPES = "(" + "|".join((*TYPES, *UNSTORED)) + ")"
UUID_ID = r"([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"


class SignalKHandler(SameOriginWrites, APIHandler):
    """Signal K's answer shapes, XSRF *or* same origin (the platform's one rule for browser
    apps' writes, ``services/auth/origin.py``), and domain errors as statuses."""

    auth_resource = SIGNALK

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        message = "Unauthorised" if status_code == 403 else self._reason
        if isinstance(exc, web.HTTPError) and exc.log_message and status_code != 403:
            message = exc.log_message
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"state": "FAILED", "statusCode": status_code, "message": message}))

    def failed(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"state": "FAILED", "statusCode": status, "message": message}))

    def answer(self, body, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, default=str))

    async def run(self, call, status: int = 200, body=None) -> None:
        """Run ``call()``; its result (or ``body``) answers, a domain error its status."""
        try:
            result = await call()
        except DomainError as exc:
            self.failed(exc.http_status, exc.message)
            return
        except PyMongoError as exc:
            error = database_error(exc)
            self.failed(error.http_status, error.message)
            return
        self.answer(result if body is None else body, status)

    def json_body(self):
        raw = self.request.body or b"null"
        if len(raw) > MAX_BODY:
            raise coded("too_large", 40203, f"{len(raw)} bytes, at most {MAX_BODY}")
        return parse(raw, strict=True)

    @property
    def platform(self):
        return self.settings["isomer"]


# resources ----------------------------------------------------------------------------------


class ResourceTypesHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self):
        self.answer({t: {"description": f"Path containing {t[:-1]} resources"} for t in LISTED})


class ResourceListHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self, rtype: str):
        async def listed():
            query = parse_query(self.request.query_arguments)
            return await self.platform.resources.list(self.current_user, rtype, query)

        await self.run(listed)

    @web.authenticated
    @authorized
    async def post(self, rtype: str):
        if rtype in UNSTORED:
            self.failed(405, f"{rtype} are not stored on this server")
            return

        async def create():
            resource_id = await self.platform.resources.create(
                self.current_user, rtype, self.json_body()
            )
            return {"state": "COMPLETED", "statusCode": 201, "id": resource_id}

        await self.run(create, 201)


class ResourceHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self, rtype: str, resource_id: str):
        if rtype in UNSTORED:
            self.failed(404, f"Resource not found! ({resource_id})")
            return
        try:
            resource = await self.platform.resources.get(self.current_user, rtype, resource_id)
        except DomainError as exc:
            if exc.code == "not_found":
                self.failed(404, f"Resource not found! ({resource_id})")
            else:
                self.failed(exc.http_status, exc.message)
            return
        self.answer(resource)

    @web.authenticated
    @authorized
    async def put(self, rtype: str, resource_id: str):
        if rtype in UNSTORED:
            self.failed(405, f"{rtype} are not stored on this server")
            return

        async def put():
            await self.platform.resources.put(
                self.current_user, rtype, resource_id, self.json_body()
            )
            return {
                "state": "COMPLETED",
                "statusCode": 200,
                "id": resource_id,
                "message": resource_id,
            }

        await self.run(put)

    @web.authenticated
    @authorized
    async def delete(self, rtype: str, resource_id: str):
        if rtype in UNSTORED:
            self.failed(404, f"Resource not found! ({resource_id})")
            return

        async def delete():
            await self.platform.resources.delete(self.current_user, rtype, resource_id)
            return {
                "state": "COMPLETED",
                "statusCode": 200,
                "id": resource_id,
                "message": resource_id,
            }

        await self.run(delete)


# course -------------------------------------------------------------------------------------


class CourseHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self):
        self.answer(self.platform.course.get())

    @web.authenticated
    @authorized
    async def delete(self):
        await self.run(self.platform.course.clear, body=OK)


class CourseActionHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def put(self, action: str):
        course, user = self.platform.course, self.current_user

        async def act():
            body = self.json_body()
            if action == "destination":
                await course.set_destination(user, body)
            elif action == "activeRoute":
                await course.activate_route(user, body)
            elif action == "arrivalCircle":
                await course.set_arrival_circle(body)
            elif action == "targetArrivalTime":
                await course.set_target_arrival_time(body)
            else:
                await course.restart()

        await self.run(act, body=OK)


class RouteActionHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def put(self, action: str):
        async def act():
            await self.platform.course.route_action(self.current_user, action, self.json_body())

        await self.run(act, body=OK)


# notifications ------------------------------------------------------------------------------


class NotificationsHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self):
        self.answer(self.platform.notifications.list())

    @web.authenticated
    @authorized
    async def post(self):
        async def raise_():
            alarm_id = self.platform.notifications.raise_alarm(self.json_body())
            return {**OK, "id": alarm_id}

        await self.run(raise_)


class NotificationsAllHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def post(self, action: str):
        notifications = self.platform.notifications

        async def act():
            if action == "silenceAll":
                notifications.silence_all()
            else:
                notifications.acknowledge_all()

        await self.run(act, body=OK)


class MobHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def post(self):
        async def mob():
            body = self.json_body()
            message = body.get("message") if isinstance(body, dict) else None
            if message is not None and (not isinstance(message, str) or len(message) > 1000):
                raise coded("invalid", 40248, "message: text of at most 1000", {"field": "message"})
            return {**OK, "id": self.platform.notifications.mob(message)}

        await self.run(mob)


class NotificationHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def get(self, alarm_id: str):
        found = self.platform.notifications.get(alarm_id)
        if found is None:
            self.failed(404, "Resource not found.")
            return
        self.answer(found)

    @web.authenticated
    @authorized
    async def put(self, alarm_id: str):
        async def update():
            self.platform.notifications.update(alarm_id, self.json_body())

        await self.run(update, body=OK)

    @web.authenticated
    @authorized
    async def delete(self, alarm_id: str):
        async def clear():
            self.platform.notifications.clear(alarm_id)

        await self.run(clear, body=OK)


class NotificationActionHandler(SignalKHandler):
    @web.authenticated
    @authorized
    async def post(self, alarm_id: str, action: str):
        notifications = self.platform.notifications

        async def act():
            if action == "silence":
                notifications.silence(alarm_id)
            else:
                notifications.acknowledge(alarm_id)

        await self.run(act, body=OK)


# v1 PUT requests ----------------------------------------------------------------------------


async def put_v1(handler, path: str) -> None:
    """``PUT /signalk/v1/api/vessels/self/PATH {"value": …}`` → the request's state."""
    parts = [p for p in path.strip("/").split("/") if p]
    try:
        body = handler.json_body()
    except DomainError as exc:
        handler.failed(exc.http_status, exc.message)
        return
    if not isinstance(body, dict) or "value" not in body:
        handler.failed(400, "input is missing a value")
        return
    if len(parts) < 3:
        handler.failed(400, "invalid path")
        return
    source = body.get("source")
    source = source if isinstance(source, str) and len(source) <= 128 else None
    try:
        reply = await handler.platform.puts.put(
            handler.current_user,
            f"{parts[0]}.{parts[1]}",
            ".".join(parts[2:]),
            body["value"],
            source=source,
        )
    except DomainError as exc:
        handler.failed(exc.http_status, exc.message)
        return
    handler.answer(reply, reply["statusCode"])


class RequestHandler(SignalKHandler):
    """``GET /signalk/v1/requests/ID`` of a PUT request: its maker's (and admins') only."""

    @web.authenticated
    @authorized
    async def get(self, request_id: str):
        reply = self.platform.puts.query(self.current_user, request_id)
        if reply is None:
            self.failed(404, "no such request")
            return
        self.set_header("Cache-Control", "no-store")
        self.answer(reply)


COURSE = f"{V2}/vessels/self/navigation/course"
handlers = [
    (rf"{V2}/resources/?", ResourceTypesHandler),
    (rf"{V2}/resources/{RESOURCE_TYPES}/?", ResourceListHandler),
    (rf"{V2}/resources/{RESOURCE_TYPES}/([A-Za-z0-9_-]{{1,64}})/?", ResourceHandler),
    (rf"{COURSE}/?", CourseHandler),
    (
        rf"{COURSE}/(destination|activeRoute|arrivalCircle|restart|targetArrivalTime)/?",
        CourseActionHandler,
    ),
    (rf"{COURSE}/activeRoute/(nextPoint|pointIndex|reverse|refresh)/?", RouteActionHandler),
    (rf"{V2}/notifications/?", NotificationsHandler),
    (rf"{V2}/notifications/(silenceAll|acknowledgeAll)/?", NotificationsAllHandler),
    (rf"{V2}/notifications/mob/?", MobHandler),
    (rf"{V2}/notifications/{UUID_ID}/?", NotificationHandler),
    (rf"{V2}/notifications/{UUID_ID}/(silence|acknowledge)/?", NotificationActionHandler),
    (rf"/signalk/v1/requests/{UUID_ID}", RequestHandler),
]
