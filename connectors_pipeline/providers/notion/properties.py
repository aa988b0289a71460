"""Notion page property values as plain YAML values, and the option names of a data-source schema.

Values: text as strings, numbers as numbers, checkboxes as booleans, select/status as the option
name, multi_select as a list of names, people and users as names (the id when the API gives
none), relations as vault links, dates as ISO `start` or `start/end`, files as URLs, formulas
and rollups by their result type, unique_id as `PREFIX-123` (the bare number without a prefix),
verification as its state. Empty values, buttons and types this module does not know become
null, so a row never fails to render because of one odd column.
"""

from __future__ import annotations

from typing import Any

from connectors_pipeline.providers.notion.rich_text import LinkResolver, format_date, plain_text, unsigned

Value = str | int | float | bool | list[Any] | None


def property_values(properties: Any, links: LinkResolver) -> dict[str, Value]:
    """Every property of a page, by name (sorted, so a reordered schema does not change the file)."""
    if not isinstance(properties, dict):
        return {}
    return {str(name): property_value(properties[name], links) for name in sorted(properties, key=str)}


def property_value(prop: Any, links: LinkResolver) -> Value:
    try:
        return _empty_to_none(_value(prop, links))
    except (KeyError, TypeError, AttributeError, ValueError):
        return None  # a malformed value must not cost the whole page


def _empty_to_none(value: Value) -> Value:
    return None if value == "" or value == [] else value


def _user_name(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    return user.get("name") or user.get("id")


def _option_name(option: Any) -> str | None:
    return option.get("name") if isinstance(option, dict) else None


def _file_url(file: dict[str, Any]) -> str | None:
    hosted = file.get(file.get("type") or "")
    url = (hosted or {}).get("url")
    if url and file.get("type") == "file":
        url = unsigned(url)
    return url or file.get("name")


def _value(prop: dict[str, Any], links: LinkResolver) -> Value:
    kind = prop["type"]
    value = prop.get(kind)
    if kind in ("title", "rich_text"):
        return plain_text(value).strip()
    if kind in ("number", "checkbox", "url", "email", "phone_number", "created_time", "last_edited_time"):
        return value
    if kind in ("select", "status"):
        return _option_name(value)
    if kind == "multi_select":
        return [name for name in map(_option_name, value) if name]
    if kind == "date":
        return format_date(value)
    if kind == "people":
        return [name for name in map(_user_name, value) if name]
    if kind in ("created_by", "last_edited_by"):
        return _user_name(value)
    if kind == "relation":
        return [links("page", ref["id"]) for ref in value]
    if kind == "files":
        return [url for url in map(_file_url, value) if url]
    if kind == "unique_id":
        if value.get("number") is None:
            return None
        return f"{value['prefix']}-{value['number']}" if value.get("prefix") else value["number"]
    if kind == "verification":
        return value.get("state") if isinstance(value, dict) else None
    if kind == "formula":
        result_type = value["type"]
        return format_date(value.get("date")) if result_type == "date" else value.get(result_type)
    if kind == "rollup":
        return _rollup(value, links)
    return None  # button, and types newer than this module


def _rollup(rollup: dict[str, Any], links: LinkResolver) -> Value:
    kind = rollup["type"]
    if kind == "number":
        return rollup.get("number")
    if kind == "date":
        return format_date(rollup.get("date"))
    if kind != "array":
        return None  # "incomplete" and "unsupported" carry no value
    flat: list[Any] = []
    for element in rollup["array"]:
        value = property_value(element, links)
        if isinstance(value, list):
            flat.extend(value)
        elif value is not None:
            flat.append(value)
    return flat


def schema_options(prop: Any) -> list[str]:
    """Option names of a select, multi_select or status property in a data-source schema."""
    if not isinstance(prop, dict) or prop.get("type") not in ("select", "multi_select", "status"):
        return []
    config = prop.get(prop["type"])
    options = config.get("options") if isinstance(config, dict) else None
    return [str(name) for name in map(_option_name, options if isinstance(options, list) else []) if name]
