"""Closest point of approach between two vessels: pure functions, no platform.

Method
------
Both vessels are put on a plane tangent to the WGS 84 ellipsoid at their mean latitude
(east and north metres, with the ellipsoid's radii of curvature there), each is assumed to
hold its course and speed over ground, and both are dead-reckoned to one instant (the own
ship's latest fix). With ``r`` the target's position relative to the own ship and ``v``
the target's velocity relative to the own ship, the distance ``|r + v t|`` is smallest at

    TCPA = -(r · v) / |v|²        CPA = |r + v · TCPA|

A negative TCPA means the closest point is behind: the vessels are diverging, and the CPA
given is the present distance (the closest they will be from now on). When the relative
speed is below :data:`MIN_RELATIVE_SPEED` the distance does not change (parallel
courses at the same speed, or both stopped): TCPA is undefined (``None``) and the CPA is
the present distance.

Error bounds, measured against GeographicLib (WGS 84 geodesics; both vessels moved along
rhumb lines, constant course, in 1 s steps), see the module's README:

- distance within 0.002 % and bearing within 0.001° up to 20 NM apart at latitudes up to
  70° (0.05 % and 0.02° at 60 NM and 80°); the bearing is the initial one at the own ship
  (the plane's bearing turned by the meridians' convergence, ``Δλ/2 · sin φ``);
- CPA within 0.13 % of the present range (26 m at 10 NM) and TCPA within 20 s, for ranges
  up to 20 NM, latitudes up to 70° and TCPA from 1 to 30 minutes.

The model's real limit is its assumption: a target that turns or changes speed passes
wherever its new motion takes it. Positions are dead-reckoned to the own ship's time, so
the age of an AIS report (seconds to minutes) does not add to the error while the target
holds its course.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WGS84_A = 6_378_137.0  # m, semi-major axis
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
MIN_RELATIVE_SPEED = 0.01  # m/s (0.02 kn): below this the vessels keep their distance


@dataclass(frozen=True, slots=True)
class Motion:
    """A vessel's fix and motion: degrees, POSIX seconds, m/s, radians true.

    ``sog``/``cog`` of ``None`` (not reported) count as stopped.
    """

    latitude: float
    longitude: float
    time: float
    sog: float | None = None
    cog: float | None = None

    @property
    def velocity(self) -> tuple[float, float]:
        """``(east, north)`` in m/s."""
        if not self.sog or self.cog is None:
            return 0.0, 0.0
        return self.sog * math.sin(self.cog), self.sog * math.cos(self.cog)


@dataclass(frozen=True, slots=True)
class Encounter:
    """Where a target is from the own ship and where it will pass.

    ``distance`` (m) and ``bearing`` (degrees true, 0–360) from the own ship at ``time``;
    ``cpa`` (m) and ``tcpa`` (s from ``time``; ``None`` without relative motion, negative
    when diverging, the CPA then being the present distance).
    """

    time: float
    distance: float
    bearing: float
    cpa: float
    tcpa: float | None


def offset(origin: tuple[float, float], point: tuple[float, float]) -> tuple[float, float]:
    """``(east, north)`` metres of ``point`` from ``origin`` (both ``(lat, lon)`` degrees).

    Parameters
    ----------
    origin, point : tuple of float
        Latitude and longitude in degrees; longitudes may straddle the antimeridian.

    Returns
    -------
    tuple of float
        East and north in metres, on the plane tangent to WGS 84 at the mean latitude.

    Examples
    --------
    >>> east, north = offset((50.0, -1.0), (50.0 + 1 / 60, -1.0))
    >>> round(north)  # one minute of latitude at 50° N
    1854
    """
    lat0, lon0 = origin
    lat1, lon1 = point
    phi = math.radians((lat0 + lat1) / 2)
    w = 1 - WGS84_E2 * math.sin(phi) ** 2
    meridian = WGS84_A * (1 - WGS84_E2) / w**1.5  # radius of curvature north-south
    normal = WGS84_A / math.sqrt(w)  # east-west
    dlon = (lon1 - lon0 + 180.0) % 360.0 - 180.0
    return (
        math.radians(dlon) * normal * math.cos(phi),
        math.radians(lat1 - lat0) * meridian,
    )


def closest_approach(
    position: tuple[float, float], velocity: tuple[float, float]
) -> tuple[float, float | None]:
    """``(cpa, tcpa)`` of a target at relative ``position`` (m) moving at ``velocity`` (m/s).

    Examples
    --------
    >>> closest_approach((0.0, 1000.0), (0.0, -10.0))  # dead ahead, closing at 10 m/s
    (0.0, 100.0)
    """
    rx, ry = position
    vx, vy = velocity
    speed2 = vx * vx + vy * vy
    if speed2 < MIN_RELATIVE_SPEED**2:
        return math.hypot(rx, ry), None
    tcpa = -(rx * vx + ry * vy) / speed2
    if tcpa < 0:  # closest in the past: from now on they only draw apart
        return math.hypot(rx, ry), tcpa
    return math.hypot(rx + vx * tcpa, ry + vy * tcpa), tcpa


def encounter(own: Motion, target: Motion) -> Encounter:
    """The target seen from the own ship, both dead-reckoned to the own ship's fix time."""
    east, north = offset((own.latitude, own.longitude), (target.latitude, target.longitude))
    (ovx, ovy), (tvx, tvy) = own.velocity, target.velocity
    ahead = own.time - target.time  # how far the target is dead-reckoned
    rx, ry = east + tvx * ahead, north + tvy * ahead
    cpa, tcpa = closest_approach((rx, ry), (tvx - ovx, tvy - ovy))
    # the plane's north is the mean meridian's; at the own ship north is turned by the
    # meridians' convergence
    dlon = (target.longitude - own.longitude + 180.0) % 360.0 - 180.0
    convergence = dlon / 2 * math.sin(math.radians((own.latitude + target.latitude) / 2))
    return Encounter(
        time=own.time,
        distance=math.hypot(rx, ry),
        bearing=(math.degrees(math.atan2(rx, ry)) - convergence) % 360.0,
        cpa=cpa,
        tcpa=tcpa,
    )
