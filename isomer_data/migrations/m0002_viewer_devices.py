"""Schema 2: devices approved for Signal K ``readonly`` become viewers.

Until this version an approved ``readonly`` access request made a device user with the
``crew`` role, which writes (log entries, waypoints, Signal K PUTs, acknowledging and
silencing alarms). The request records what was asked (``permissions``) and the user it
made (``user``), so those devices are found exactly. Only a device whose roles are still
exactly ``["crew"]`` changes: an admin who gave one more roles on purpose keeps them.
"""

DESCRIPTION = "devices approved for Signal K readonly get the viewer role instead of crew"


def up(db) -> None:
    approved = db["access_requests"].find(
        {"permissions": "readonly", "permission": "APPROVED", "user": {"$type": "string"}},
        {"user": 1},
    )
    names = sorted({doc["user"] for doc in approved})
    for start in range(0, len(names), 500):
        db["users"].update_many(
            {"username": {"$in": names[start : start + 500]}, "roles": ["crew"]},
            {"$set": {"roles": ["viewer"]}},
        )
