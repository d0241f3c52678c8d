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
        Water level above chart datum (m): a function of the times (datetime64 array), or a
        series indexed by time, interpolated linearly. Subtracted to reduce to datum.

    Returns
    -------
    pandas.DataFrame
        A copy with ``depth`` and ``offset_applied``; soundings whose transducer offset is
        unknown keep their transducer depth and ``offset_applied=False``.
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
    use_meta = ~applied & np.isfinite(offsets)
    depth[use_meta] = below[use_meta] + offsets[use_meta]
    applied |= use_meta
    depth[~applied] = below[~applied]
    if tide is not None:
        times = pd.DatetimeIndex(pd.to_datetime(out["time"], utc=True))
        if isinstance(tide, pd.Series):
            index = pd.DatetimeIndex(pd.to_datetime(tide.index, utc=True)).asi8.astype(float)
            level = np.interp(times.asi8.astype(float), index, tide.to_numpy(dtype=float))
        else:
            level = np.asarray(tide(times.to_numpy()), dtype=float)
        depth = depth - level
    out["depth"] = depth
    out["offset_applied"] = applied
    return out
