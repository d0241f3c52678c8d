"""From what a sounder measured to depth below the surface and, optionally, chart datum.

Crowdsourced depths are transducer-referenced: every vessel's transducer sits at its own
depth, and unapplied offsets between vessels wreck contours. So the offset is applied
first (from the DPT offset the sounder reported, else from the vessel's metadata), and a
water-level (tide) correction only after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

OFFSET_AGREEMENT = 0.01  # m: a DPT offset and a vessel record this close agree


def reduce_soundings(
    soundings: pd.DataFrame,
    vessels: Mapping[str, Mapping] | None = None,
    tide: Callable | pd.Series | None = None,
) -> pd.DataFrame:
    """Add ``depth`` (m, positive down) and ``offset_applied`` to soundings.

    Parameters
    ----------
    soundings : pandas.DataFrame
        Columns ``time``, ``longitude``, ``latitude``, ``depth_below_transducer``,
        ``vessel``; optional ``depth_below_surface`` (from DPT with a positive offset).
    vessels : mapping, optional
        ``vessel -> {"transducer_depth": m below the waterline, ...}``.
    tide : callable or pandas.Series, optional
        Water level above chart datum (m): a function of the times (a ``datetime64[ns]``
        array in UTC, without zone) returning levels, or a series indexed by time (any
        order, any zone; naive times are UTC), interpolated linearly between readings.
        Subtracted to reduce to datum. A sounding before the first or after the last
        reading (or given a non-finite level) gets no level invented for it: its ``depth``
        is NaN and ``water_level_applied`` False.

    Returns
    -------
    pandas.DataFrame
        A copy with ``depth``, ``offset_applied``, ``offset_disagrees`` and
        ``water_level_applied``. Soundings whose transducer offset is unknown keep their
        transducer depth and ``offset_applied=False``. When the sounder sent its offset
        (DPT, ``depth_below_surface``) that offset wins over the vessel record's
        ``transducer_depth``: it is what the instrument was set to when it measured, while
        the record is one value for all time; ``offset_disagrees`` marks where the two
        differ by more than 1 cm, for the owner to check one of them.
    """
    out = soundings.copy()
    below = out["depth_below_transducer"].to_numpy(dtype=float)
    depth = np.full(len(out), np.nan)
    applied = np.zeros(len(out), dtype=bool)
    if "depth_below_surface" in out:
        surface = out["depth_below_surface"].to_numpy(dtype=float)
        have = np.isfinite(surface)
        depth[have] = surface[have]
        applied |= have
    # One lookup per distinct vessel, not per sounding: fleets send millions per vessel.
    codes, names = pd.factorize(out["vessel"])
    per_vessel = np.array(
        [float((vessels or {}).get(v, {}).get("transducer_depth", np.nan)) for v in names]
        + [np.nan]
    )
    offsets = per_vessel[codes]  # code -1 (missing vessel) picks the trailing NaN
    disagrees = np.zeros(len(out), dtype=bool)
    if "transducer_offset" in out:
        reported = out["transducer_offset"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            disagrees = applied & (np.abs(reported - offsets) > OFFSET_AGREEMENT)
    use_meta = ~applied & np.isfinite(offsets)
    depth[use_meta] = below[use_meta] + offsets[use_meta]
    applied |= use_meta
    depth[~applied] = below[~applied]
    level_applied = np.ones(len(out), dtype=bool)
    if tide is not None:
        # One unit for both sides: pandas keeps s/ms/us/ns per index, and asi8 counts in it.
        times = pd.DatetimeIndex(pd.to_datetime(out["time"], utc=True)).tz_convert(None)
        times = times.as_unit("ns")
        if isinstance(tide, pd.Series):
            index = pd.DatetimeIndex(pd.to_datetime(tide.index, utc=True)).tz_convert(None)
            series = tide.set_axis(index.as_unit("ns"))
            series = series.astype(float).dropna().sort_index()
            at = times.asi8.astype(float)
            readings = series.index.asi8.astype(float)
            # np.interp would hold the first/last reading outside the record: NaN instead.
            level = np.interp(at, readings, series.to_numpy(), left=np.nan, right=np.nan)
        else:
            level = np.asarray(tide(times.to_numpy()), dtype=float)
            level = np.broadcast_to(level, (len(out),))
        level_applied = np.isfinite(level)
        depth = depth - level
    out["depth"] = depth
    out["offset_applied"] = applied
    out["offset_disagrees"] = disagrees
    out["water_level_applied"] = level_applied
    return out
