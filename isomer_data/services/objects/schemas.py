"""The schema manager: JSON Schemas (Draft 2020-12) from ``schemas/``, with form hints.

A schema with an ``x-isomer`` block describes stored objects: its collection, which roles
may create them, default per-role permissions, searchable fields and form hints for the
panels. Other files (``perms.json``) are shared definitions they ``$ref``.

Fields may be annotated: ``"readOnly": true`` (JSON Schema's own) marks what only the server
sets (uuid, owner, timestamps), ``"x-isomer-admin-only": true`` what only admins may set or
change (a user's roles). The object manager enforces both, for REST and hub alike.

Validation reports every problem with the field it concerns (``position.latitude``,
``roles[1]``), so a form can put the message beside the right input.
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from isomer_data.core.schemas import schema_dir

ADMIN_ONLY = "x-isomer-admin-only"


def field_name(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class SchemaRegistry:
    """The schemas of several folders: the platform's, then each module's (``add_directory``).

    A name or ``$id`` already taken is refused, so a module cannot replace a built-in schema.
    """

    def __init__(self, directory: Path | None = None):
        self.schemas: dict[str, dict] = {}
        self.directories: list[Path] = []
        self._resources: list = []
        self.add_directory(directory or schema_dir())

    def add_directory(self, directory: Path) -> None:
        found = {}
        for path in sorted(Path(directory).glob("*.json")):
            schema = json.loads(path.read_text())
            Draft202012Validator.check_schema(schema)
            if path.stem in self.schemas or path.stem in found:
                raise ValueError(f"schema {path.stem!r} in {directory} is already defined")
            found[path.stem] = schema
        ids = [s["$id"] for s in found.values()]
        taken = {uri for uri, _ in self._resources}
        if len(set(ids)) != len(ids) or taken & set(ids):
            raise ValueError(f"a schema $id in {directory} is already defined")
        self.directories.append(Path(directory))
        self.schemas.update(found)
        self._resources += [(s["$id"], Resource.from_contents(s)) for s in found.values()]
        self.registry = Registry().with_resources(self._resources)
        self._validators = {
            name: Draft202012Validator(
                schema, registry=self.registry, format_checker=FormatChecker()
            )
            for name, schema in self.schemas.items()
        }

    @property
    def object_schemas(self) -> list[str]:
        return sorted(n for n, s in self.schemas.items() if "x-isomer" in s)

    def meta(self, name: str) -> dict:
        return self.schemas[name]["x-isomer"]

    def errors(self, name: str, document: dict) -> list[dict]:
        """Every validation problem as ``{"field", "message"}``, sorted by field."""
        problems = []
        for error in self._validators[name].iter_errors(document):
            field = field_name(error.absolute_path)
            if error.validator == "required":
                missing = error.message.split("'")[1] if "'" in error.message else ""
                field = f"{field}.{missing}" if field else missing
            elif error.validator == "additionalProperties":
                extra = error.message.split("'")[1] if "'" in error.message else ""
                field = f"{field}.{extra}" if field else extra
            problems.append({"field": field, "message": error.message})
        return sorted(problems, key=lambda p: p["field"])

    def read_only(self, name: str) -> set[str]:
        """Top-level fields only the server sets (``"readOnly": true``)."""
        props = self.schemas[name].get("properties", {})
        return {k for k, v in props.items() if v.get("readOnly")}

    def admin_only(self, name: str) -> set[str]:
        """Top-level fields only admins may set or change (``"x-isomer-admin-only": true``)."""
        props = self.schemas[name].get("properties", {})
        return {k for k, v in props.items() if v.get(ADMIN_ONLY)}

    def write_only(self, name: str) -> set[str]:
        props = self.schemas[name].get("properties", {})
        return {k for k, v in props.items() if v.get("writeOnly")}

    def describe(self, name: str) -> dict:
        """What a panel needs to draw a form: the schema, field order and widgets."""
        schema = self.schemas[name]
        meta = schema.get("x-isomer", {})
        form = meta.get("form", {})
        order = form.get("order") or [
            k for k, v in schema.get("properties", {}).items() if not v.get("readOnly")
        ]
        return {
            "name": name,
            "title": schema.get("title", name),
            "description": schema.get("description", ""),
            "schema": schema,
            "form": {"order": order, "widgets": form.get("widgets", {})},
            "create": meta.get("create", []),
        }
