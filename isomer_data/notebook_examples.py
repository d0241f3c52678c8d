"""The example notebooks, copied into an instance's notebooks folder so JupyterLab shows them.

At every start of ``isomer launch`` the examples that the instance has never received are
copied into ``<instance>/notebooks/examples/``; each copy is recorded (name, SHA-256 of
what was copied, package version, time) in ``<instance>/examples.json``. A notebook is
copied at most once per instance, so the folder belongs to the user:

* a user's edits are never overwritten (a file that exists is never written);
* a deleted example stays deleted (it is in the record): remove its entry from
  ``examples.json`` to have it copied again at the next start;
* an example added by a newer version is copied at the next start after the upgrade.

The copy never replaces a file (``open(..., "x")``), so two starts racing cannot clobber
each other or a user's file that appeared meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER = "examples"
RECORD = "examples.json"


def example_notebooks() -> dict[str, bytes]:
    """The shipped example notebooks: file name -> content."""
    source = files("isomer_data.notebooks")
    return {
        item.name: item.read_bytes()
        for item in sorted(source.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".ipynb")
    }


def read_record(instance_dir: Path) -> dict:
    path = Path(instance_dir) / RECORD
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return {"copied": {}}
    except (OSError, ValueError) as exc:
        # A broken record must not make us copy over the user's files: nothing is copied.
        log.warning("%s is unreadable (%s): no example notebook copied", path, exc)
        return {"copied": None}
    if not isinstance(record, dict) or not isinstance(record.get("copied"), dict):
        log.warning("%s is not an examples record: no example notebook copied", path)
        return {"copied": None}
    return record


def install_examples(instance_dir: Path, workspace: Path) -> list[str]:
    """Copy the examples this instance never received into ``workspace/examples``.

    Returns the names copied now (empty on every start after the first, until a release
    adds an example).
    """
    from isomer_data import __version__

    instance_dir, workspace = Path(instance_dir), Path(workspace)
    record = read_record(instance_dir)
    copied = record["copied"]
    if copied is None:
        return []
    target = workspace / FOLDER
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    new: list[str] = []
    for name, content in example_notebooks().items():
        if name in copied:
            continue  # copied before: whatever the user did with it since stands
        target.mkdir(parents=True, exist_ok=True)
        try:
            with open(target / name, "xb") as out:
                out.write(content)
        except FileExistsError:
            continue  # the user's own file of that name: theirs, not recorded as ours
        copied[name] = {
            "sha256": hashlib.sha256(content).hexdigest(),
            "version": __version__,
            "copied": now,
        }
        new.append(name)
    if new:
        path = instance_dir / RECORD
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
        log.info("example notebooks copied into %s: %s", target, ", ".join(new))
    return new
