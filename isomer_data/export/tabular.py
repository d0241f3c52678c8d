"""Observations as Parquet: typed columns, compressed, readable by pandas, Arrow, DuckDB.

Values of different kinds share one column in the long layout, so numbers go to ``value``
(float64) and anything structured (positions, texts) to ``value_json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd


def observations_to_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    numbers, texts = [], []
    for value in frame["value"].tolist():
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers.append(float(value) if math.isfinite(value) else None)
            texts.append(None)
        else:
            numbers.append(None)
            texts.append(json.dumps(value))
    out = pd.DataFrame(
        {
            "time": frame["time"],
            "vessel": frame["vessel"].astype("string"),
            "path": frame["path"].astype("string"),
            "source": frame["source"].astype("string"),
            "value": pd.array(numbers, dtype="Float64"),
            "value_json": pd.array(texts, dtype="string"),
        }
    )
    out.to_parquet(path, engine="pyarrow", compression="zstd", index=False)
    return path
