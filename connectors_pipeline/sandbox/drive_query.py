"""Parser and evaluator for the Drive v3 `q` search language (the subset the sandbox emulates)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["QueryError", "QueryRecord", "compile_query", "confining_parent", "parse_rfc3339"]


class QueryError(ValueError):
    """The query is malformed; Drive answers 400 `invalid` on the `q` parameter."""


@dataclass(frozen=True)
class QueryRecord:
    """What a query can look at for one file; the Drive model builds one per candidate file."""

    name: str
    mime_type: str
    parents: tuple[str, ...]  # 'root' is added by the caller for files directly below My Drive
    trashed: bool
    created: datetime
    modified: datetime
    starred: bool = False
    owners: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()  # others with access besides the owners (the sandbox makes them writers too)
    full_text: str = ""
    # Loaded only when a fullText term asks, so listing a drive with huge documents stays cheap.
    text_loader: Callable[[], str] | None = None
    shortcut_target: str | None = None
    shared_with_me: bool = False
    properties: dict[str, str] = field(default_factory=dict)


Predicate = Callable[[QueryRecord], bool]

# Tokens: strings in single or double quotes (backslash escapes), operators, words, parentheses, braces.
_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(){}])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE | re.DOTALL,
)

_STRING_FIELDS = {"name", "mimeType", "fullText", "shortcutDetails.targetId"}
_TIME_FIELDS = {"modifiedTime", "createdTime", "viewedByMeTime", "sharedWithMeTime", "modifiedByMeTime"}
_BOOL_FIELDS = {"trashed", "starred", "sharedWithMe", "hidden"}
_COLLECTIONS = {"parents", "owners", "writers", "readers"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # "str" | "op" | "punct" | "word" | "end"
    text: str


def _unquote(raw: str) -> str:
    # Drive's escapes are \' \" and \\; any other escaped character stands for itself.
    return re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)


def _tokenize(q: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(q, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Invalid query near position {pos}: {q[pos : pos + 20]!r}")
        kind = m.lastgroup or "word"
        text = m.group(kind)
        tokens.append(_Tok(kind, _unquote(text) if kind == "str" else text))
        pos = m.end()
    tokens.append(_Tok("end", ""))
    return tokens


def parse_rfc3339(value: str) -> datetime:
    """RFC 3339 date-time; Drive assumes UTC when the offset is missing."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(f"Invalid date-time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _word_prefix_match(haystack: str, needle: str) -> bool:
    # Drive's `name contains` matches prefixes of words ("HelloWorld" matches 'Hello', not 'World').
    hay, sub = haystack.lower(), needle.lower()
    if not sub:
        return True
    start = hay.find(sub)
    while start != -1:
        if start == 0 or not hay[start - 1].isalnum():
            return True
        start = hay.find(sub, start + 1)
    return False


def _compare(op: str, left: object, right: object) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if left is None or right is None:
        return False
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


_TIME_GETTERS: dict[str, Callable[[QueryRecord], datetime]] = {
    "modifiedTime": lambda r: r.modified,
    "createdTime": lambda r: r.created,
    # The sandbox has no per-viewer times; they track the modification time.
    "viewedByMeTime": lambda r: r.modified,
    "sharedWithMeTime": lambda r: r.modified,
    "modifiedByMeTime": lambda r: r.modified,
}
_BOOL_GETTERS: dict[str, Callable[[QueryRecord], bool]] = {
    "trashed": lambda r: r.trashed,
    "starred": lambda r: r.starred,
    "sharedWithMe": lambda r: r.shared_with_me,
    "hidden": lambda r: False,
}
_STRING_GETTERS: dict[str, Callable[[QueryRecord], str | None]] = {
    "name": lambda r: r.name,
    "mimeType": lambda r: r.mime_type,
    "fullText": lambda r: r.full_text or (r.text_loader() if r.text_loader else ""),
    "shortcutDetails.targetId": lambda r: r.shortcut_target,
}


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*; and_expr := unary ('and' unary)*."""

    def __init__(self, q: str) -> None:
        self.tokens = _tokenize(q)
        self.i = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None = None) -> _Tok:
        tok = self.take()
        if tok.kind != kind or (text is not None and tok.text.lower() != text):
            raise QueryError(f"Expected {text or kind}, got {tok.text!r}")
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text.lower() == word

    def parse(self) -> Predicate:
        if self.peek().kind == "end":
            raise QueryError("Empty query")
        pred = self.or_expr()
        if self.peek().kind != "end":
            raise QueryError(f"Unexpected {self.peek().text!r}")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.is_word("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda r, ps=tuple(parts): any(p(r) for p in ps))

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.is_word("and"):
            self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]

        def all_of(r: QueryRecord, ps: tuple[Predicate, ...] = tuple(parts)) -> bool:
            return all(p(r) for p in ps)

        parent = next((confining_parent(p) for p in parts if confining_parent(p) is not None), None)
        if parent is not None:
            setattr(all_of, _CONFINED, parent)
        return all_of

    def unary(self) -> Predicate:
        if self.is_word("not"):
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek().kind == "punct" and self.peek().text == "(":
            self.take()
            inner = self.or_expr()
            self.expect("punct", ")")
            return inner
        return self.term()

    def term(self) -> Predicate:
        tok = self.take()
        if tok.kind == "str":  # 'value' in parents|owners|writers|readers
            self.expect("word", "in")
            coll = self.expect("word").text
            if coll not in _COLLECTIONS:
                raise QueryError(f"Unknown collection {coll!r}")
            value = tok.text
            if coll == "parents":

                def in_parents(r: QueryRecord) -> bool:
                    return value in r.parents

                setattr(in_parents, _CONFINED, value)
                return in_parents
            wanted = value.lower()
            if coll == "owners":
                return lambda r: wanted in (o.lower() for o in r.owners)
            # An owner can write and read; so can everyone a file was shared with (the sandbox has no roles).
            return lambda r: wanted in (p.lower() for p in (*r.owners, *r.readers))
        if tok.kind != "word":
            raise QueryError(f"Unexpected {tok.text!r}")
        name = tok.text
        if name == "properties" or name == "appProperties":
            return self.properties_term()
        if name in _BOOL_FIELDS and (self.peek().kind != "op"):
            # `sharedWithMe` may stand alone as a boolean term.
            if name != "sharedWithMe":
                raise QueryError(f"{name} needs a comparison")
            return _BOOL_GETTERS[name]
        op_tok = self.take()
        op = op_tok.text.lower()
        if op_tok.kind not in ("op", "word") or (op_tok.kind == "word" and op != "contains"):
            raise QueryError(f"Expected an operator after {name!r}")
        value_tok = self.take()
        if name in _BOOL_FIELDS:
            if (
                op not in ("=", "!=")
                or value_tok.kind != "word"
                or value_tok.text.lower()
                not in (
                    "true",
                    "false",
                )
            ):
                raise QueryError(f"{name} takes = or != with true/false")
            want = value_tok.text.lower() == "true"
            getter = _BOOL_GETTERS[name]
            return lambda r: _compare(op, getter(r), want)
        if value_tok.kind != "str":
            raise QueryError(f"{name} needs a quoted value")
        value = value_tok.text
        if name in _TIME_FIELDS:
            if op == "contains":
                raise QueryError(f"{name} does not support contains")
            when = parse_rfc3339(value)
            tget = _TIME_GETTERS[name]
            return lambda r: _compare(op, tget(r), when)
        if name not in _STRING_FIELDS:
            raise QueryError(f"Unknown field {name!r}")
        sget = _STRING_GETTERS[name]
        if name == "fullText":
            if op != "contains":
                raise QueryError("fullText supports only contains")
            return lambda r: value.lower() in (sget(r) or "").lower() or value.lower() in r.name.lower()
        if op == "contains":
            if name == "name":
                return lambda r: _word_prefix_match(r.name, value)
            if name == "mimeType":
                return lambda r: value in r.mime_type
            raise QueryError(f"{name} does not support contains")
        if op not in ("=", "!=") and name != "name":
            raise QueryError(f"{name} supports only =, != or contains")
        return lambda r: _compare(op, sget(r), value)

    def properties_term(self) -> Predicate:
        # properties has { key='k' and value='v' }
        self.expect("word", "has")
        self.expect("punct", "{")
        self.expect("word", "key")
        self.expect("op", "=")
        key = self.expect("str").text
        self.expect("word", "and")
        self.expect("word", "value")
        self.expect("op", "=")
        value = self.expect("str").text
        self.expect("punct", "}")
        return lambda r: r.properties.get(key) == value


_CONFINED = "sandbox_confined_to"


def confining_parent(predicate: Predicate) -> str | None:
    """The folder id (or 'root') every match has in its parents, when the query says so at top level.

    `'F' in parents and ...` is confined to F, so the Drive model can look at F's children only;
    under `or` or `not` nothing is (an `or` lambda carries no mark).
    """
    return getattr(predicate, _CONFINED, None)


def compile_query(q: str) -> Predicate:
    """Compile `q` into a predicate over QueryRecord; raises QueryError when Drive would answer 400."""
    return _Parser(q).parse()
