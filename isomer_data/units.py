"""CF metadata for Signal K paths: what a scientist sees on each variable.

Values are stored in Signal K's SI units; this table names them the CF way (UDUNITS
strings, standard names where CF has one) so xarray objects carry their meaning.
"""

from __future__ import annotations

# path -> (units, standard_name or None, long_name)
PATHS: dict[str, tuple[str, str | None, str]] = {
    "navigation.speedOverGround": ("m s-1", "platform_speed_wrt_ground", "speed over ground"),
    "navigation.courseOverGroundTrue": ("rad", "platform_course", "course over ground (true)"),
    "navigation.courseOverGroundMagnetic": ("rad", None, "course over ground (magnetic)"),
    "navigation.headingTrue": ("rad", "platform_orientation", "heading (true)"),
    "navigation.headingMagnetic": ("rad", None, "heading (magnetic)"),
    "navigation.magneticVariation": ("rad", None, "magnetic variation (east positive)"),
    "navigation.magneticDeviation": ("rad", None, "magnetic deviation (east positive)"),
    "navigation.speedThroughWater": (
        "m s-1",
        "platform_speed_wrt_sea_water",
        "speed through water",
    ),
    "navigation.rateOfTurn": (
        "rad s-1",
        "platform_yaw_rate_fore_starboard",  # Signal K: positive turning to starboard
        "rate of turn",
    ),
    "navigation.log": ("m", None, "total distance through water"),
    "navigation.trip.log": ("m", None, "trip distance through water"),
    "environment.depth.belowTransducer": (
        "m",
        None,  # CF has no name for a depth below the sensor (its table has none "_sensor")
        "depth below transducer",
    ),
    "environment.depth.belowSurface": (
        "m",
        "sea_floor_depth_below_sea_surface",
        "depth below surface",
    ),
    "environment.depth.belowKeel": ("m", None, "depth below keel"),
    "environment.depth.surfaceToTransducer": ("m", None, "transducer depth below the surface"),
    "environment.depth.transducerToKeel": ("m", None, "transducer height above the keel"),
    "environment.water.temperature": ("K", "sea_water_temperature", "water temperature"),
    "environment.outside.temperature": ("K", "air_temperature", "air temperature"),
    "environment.outside.pressure": ("Pa", "air_pressure", "air pressure"),
    "environment.outside.humidity": ("1", "relative_humidity", "relative humidity"),
    "environment.wind.speedApparent": ("m s-1", None, "apparent wind speed"),
    "environment.wind.angleApparent": ("rad", None, "apparent wind angle (starboard positive)"),
    "environment.wind.speedTrue": ("m s-1", "wind_speed", "true wind speed"),
    "environment.wind.angleTrueWater": ("rad", None, "true wind angle relative to the bow"),
    "environment.wind.directionTrue": (
        "rad",
        "wind_from_direction",
        "true wind direction (from, true north)",
    ),
    "environment.wind.directionMagnetic": ("rad", None, "wind direction (from, magnetic)"),
    "navigation.position.latitude": ("degrees_north", "latitude", "latitude"),
    "navigation.position.longitude": ("degrees_east", "longitude", "longitude"),
}


def cf_attrs(path: str) -> dict:
    """CF attributes for a Signal K path (units guessed from the path when not listed)."""
    if path in PATHS:
        units, standard_name, long_name = PATHS[path]
    else:
        leaf = path.rsplit(".", 1)[-1].lower()
        if "temperature" in leaf:
            units = "K"
        elif "pressure" in leaf:
            units = "Pa"
        elif "speed" in leaf or "velocity" in leaf:
            units = "m s-1"
        elif any(w in leaf for w in ("angle", "heading", "course", "direction", "roll", "pitch")):
            units = "rad"
        else:
            units = "1"
        standard_name, long_name = None, path
    attrs = {"units": units, "long_name": long_name, "signalk_path": path}
    if standard_name:
        attrs["standard_name"] = standard_name
    return attrs
