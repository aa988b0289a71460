"""Google partial responses: parse a `fields` selector, check it against discovery schemas, apply it."""

from __future__ import annotations

from typing import Any

__all__ = ["FieldsError", "FieldTree", "parse_fields", "validate_fields", "apply_fields"]

# name -> subtree (None = the whole value). {"*": None} selects everything.
FieldTree = dict[str, "FieldTree | None"]


class FieldsError(ValueError):
    """Bad selector; Google answers 400 invalidParameter "Invalid field selection <name>"."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def parse_fields(text: str) -> FieldTree:
    """Parse `kind,nextPageToken,files(id,name,owners/emailAddress)` into a tree."""
    tree, pos = _parse_list(text.replace(" ", ""), 0)
    if pos != len(text.replace(" ", "")):
        raise FieldsError(text[pos:])
    return tree


def _merge(into: FieldTree, path: list[str], sub: FieldTree | None) -> None:
    node = into
    for part in path[:-1]:
        child = node.get(part, {})
        if child is None:  # already selected whole
            return
        node[part] = child
        node = child
    last = path[-1]
    if last in node and (node[last] is None or sub is None):
        node[last] = None
    elif last in node and isinstance(node[last], dict) and sub is not None:
        node[last].update(sub)  # type: ignore[union-attr]
    else:
        node[last] = sub


def _parse_list(text: str, pos: int) -> tuple[FieldTree, int]:
    tree: FieldTree = {}
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ",()":
            pos += 1
        name = text[start:pos]
        if not name:
            raise FieldsError(text[start:] or text)
        path = name.split("/")
        if any(not p for p in path):
            raise FieldsError(name)
        sub: FieldTree | None = None
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise FieldsError(name)
            pos += 1
        _merge(tree, path, sub)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return tree, pos


def _sub_schema(prop: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema a property holds (directly, or as list items); None for scalars and maps."""
    for candidate in (prop, prop.get("items") or {}):
        if "$ref" in candidate:
            return schemas[candidate["$ref"]]
        if "properties" in candidate:
            return candidate
    return None


def validate_fields(tree: FieldTree, schema: dict[str, Any], schemas: dict[str, Any], prefix: str = "") -> None:
    """Reject names the resource does not have, as Google does, using the discovery document's schemas."""
    props: dict[str, Any] = schema.get("properties") or {}
    for name, sub in tree.items():
        if name == "*":
            continue
        prop = props.get(name)
        if prop is None:
            if schema.get("additionalProperties") is not None:
                continue  # a map such as exportLinks: any key is fine
            raise FieldsError(prefix + name)
        if sub:
            child = _sub_schema(prop, schemas)
            if child is None:
                if prop.get("additionalProperties") is not None:
                    continue
                raise FieldsError(prefix + name)
            validate_fields(sub, child, schemas, prefix + name + "/")


def apply_fields(value: Any, tree: FieldTree | None) -> Any:
    """Keep only the selected parts of a response (lists are filtered item by item)."""
    if tree is None or "*" in tree and len(tree) == 1:
        return value
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        out = dict(value)
        for name, sub in tree.items():
            if name != "*" and name in value and sub is not None:
                out[name] = apply_fields(value[name], sub)
        return out
    # A leaf (sub None) is taken as is: no call per scalar, which matters for 1000-file pages.
    return {
        name: value[name] if sub is None else apply_fields(value[name], sub)
        for name, sub in tree.items()
        if name in value
    }
