"""Notion data source schemas and page property values: the shorthand seeding writes, expanded to API shapes.

Schema shorthand (`add_database(..., schema=...)`): name -> a type name (`"title"`, `"number"`, ...),
or `{"type": T, "options": [...]}` for select/multi_select/status, `{"type": "formula", "expression": ...}`,
`{"type": "relation", "data_source_id": ...}`, `{"type": "rollup", "relation": ..., "property": ...,
"function": ...}`, `{"type": "unique_id", "prefix": ...}`, `{"type": "number", "format": ...}`, or a
full schema property (`{"type": T, T: {...}}`). The first title property is the page title; a schema
without one gets "Name".

Value shorthand (`add_row`/`set_properties`), by the schema type: title/rich_text a string or rich
text list; number; select/status an option name; multi_select names; date `"2025-01-06"` or
`{"start", "end"}`; people user ids; files URLs; checkbox; url/email/phone_number strings; formula a
Python value (str/number/bool) or `{"date": ...}`; relation page ids; rollup a number or a full rollup
value. created_time, created_by, last_edited_time, last_edited_by and unique_id are computed when
served. A full property value (`{"type": T, T: ...}`) is taken as-is.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from typing import Any

from connectors_pipeline.sandbox.notion_blocks import rich_text

COMPUTED = frozenset({"created_time", "created_by", "last_edited_time", "last_edited_by", "unique_id"})
_EMPTY_CONFIG = frozenset(
    {"title", "rich_text", "checkbox", "url", "email", "phone_number", "date", "people", "files", *COMPUTED}
)
_ID_ALPHABET = string.ascii_letters + string.digits
_OPTION_COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")


def property_id(name: str) -> str:
    """A short id like Notion's (URL-encoded 4 chars), stable for a name."""
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:4])


def option(name: str, index: int) -> dict[str, Any]:
    return {"id": property_id(f"option:{name}"), "name": name, "color": _OPTION_COLORS[index % len(_OPTION_COLORS)]}


def expand_schema(schema: Mapping[str, Any], names: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Shorthand schema -> the data source's `properties` (name -> {id, name, type, <type>: config}).

    `names` maps data source ids to database ids, for relation targets.
    """
    out: dict[str, dict[str, Any]] = {}
    for name, spec in schema.items():
        spec = {"type": spec} if isinstance(spec, str) else dict(spec)
        kind = spec["type"]
        config = spec.get(kind) if isinstance(spec.get(kind), Mapping) else _config(kind, spec, names or {})
        pid = "title" if kind == "title" else property_id(name)
        out[name] = {"id": pid, "name": name, "type": kind, kind: config}
    if not any(p["type"] == "title" for p in out.values()):
        out = {"Name": {"id": "title", "name": "Name", "type": "title", "title": {}}, **out}
    return out


def _config(kind: str, spec: Mapping[str, Any], databases: Mapping[str, str]) -> dict[str, Any]:
    if kind in _EMPTY_CONFIG:
        return {"prefix": spec.get("prefix")} if kind == "unique_id" else {}
    if kind == "number":
        return {"format": spec.get("format", "number")}
    if kind in ("select", "multi_select"):
        return {"options": [option(n, i) for i, n in enumerate(spec.get("options", ()))]}
    if kind == "status":
        names = list(spec.get("options", ("Not started", "In progress", "Done")))
        options = [option(n, i) for i, n in enumerate(names)]
        groups = [
            {"id": property_id(f"group:{n}"), "name": n, "color": "gray", "option_ids": [o["id"]]}
            for n, o in zip(names, options, strict=True)
        ]
        return {"options": options, "groups": groups}
    if kind == "formula":
        return {"expression": spec.get("expression", "")}
    if kind == "relation":
        target = spec["data_source_id"]
        return {
            "data_source_id": target,
            "database_id": databases.get(target, target),
            "type": "single_property",
            "single_property": {},
        }
    if kind == "rollup":
        return {
            "relation_property_name": spec.get("relation", ""),
            "relation_property_id": property_id(spec.get("relation", "")),
            "rollup_property_name": spec.get("property", ""),
            "rollup_property_id": property_id(spec.get("property", "")),
            "function": spec.get("function", "count"),
        }
    return {k: v for k, v in spec.items() if k != "type"}  # a type this module does not know: as given


def title_property(schema: Mapping[str, Mapping[str, Any]]) -> str:
    return next(name for name, p in schema.items() if p["type"] == "title")


def expand_value(kind: str, value: Any, schema_prop: Mapping[str, Any]) -> Any:
    """The value under `<type>` in a page property, from shorthand (see the module docstring)."""
    if isinstance(value, Mapping) and value.get("type") == kind and kind in value:
        return value[kind]  # a full property value
    if kind in ("title", "rich_text"):
        return rich_text(value)
    if kind in ("select", "status"):
        return None if value is None else _option(schema_prop, kind, value)
    if kind == "multi_select":
        return [_option(schema_prop, kind, v) for v in value or ()]
    if kind == "date":
        if value is None:
            return None
        start, end = (value, None) if isinstance(value, str) else (value["start"], value.get("end"))
        return {"start": start, "end": end, "time_zone": None}
    if kind == "people":
        return [{"object": "user", "id": uid} for uid in value or ()]
    if kind == "files":
        return [{"name": url.rsplit("/", 1)[-1], "type": "external", "external": {"url": url}} for url in value or ()]
    if kind == "checkbox":
        return bool(value)
    if kind == "formula":
        return _formula(value)
    if kind == "relation":
        return [{"id": pid} for pid in value or ()]
    if kind == "rollup":
        if isinstance(value, Mapping):
            return dict(value)
        return {"type": "number", "number": value, "function": schema_prop.get("rollup", {}).get("function", "count")}
    return value  # number, url, email, phone_number and unknown types


def _option(schema_prop: Mapping[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The schema's option of that name, added to the schema when new (as the Notion app does)."""
    options: list[dict[str, Any]] = schema_prop[kind].setdefault("options", [])
    for opt in options:
        if opt["name"] == name:
            return dict(opt)
    created = option(name, len(options))
    options.append(created)
    return dict(created)


def _formula(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        if "type" in value:
            return dict(value)
        return {"type": "date", "date": {"start": value["date"], "end": None, "time_zone": None}}
    if isinstance(value, bool):
        return {"type": "boolean", "boolean": value}
    if isinstance(value, int | float):
        return {"type": "number", "number": value}
    return {"type": "string", "string": None if value is None else str(value)}
