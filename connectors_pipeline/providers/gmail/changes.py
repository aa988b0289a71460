"""The delta since a history id: history.list pages, turned into one Change per touched message.

History says which messages were added, deleted or relabelled, not what they look like now, so
each touched message is read again (metadata, a few in flight) and judged against the scopes:
deleted (or 404) -> DELETED; outside every scope -> MOVED_OUT_OF_SCOPE; otherwise an upsert, trashed
ones included (trashed=True), so the pipeline can skip them with a reason and restore them on untrash.
A startHistoryId Gmail no longer keeps answers 404: StaleCursorError, and the pipeline re-lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors_pipeline.domain.errors import ConnectorError, NotFoundError, StaleCursorError
from connectors_pipeline.domain.items import Change, RemovalReason
from connectors_pipeline.providers.base import ChangeBatch, Scope
from connectors_pipeline.providers.gmail.client import GmailClient
from connectors_pipeline.providers.gmail.items import LabelNames, check_scope, in_label_scope, to_item
from connectors_pipeline.providers.gmail.listing import list_ids, metadata_of

_TOUCHING = ("messagesAdded", "labelsAdded", "labelsRemoved")


def _history_page(client: GmailClient, cursor: str, page_size: int, page_token: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"userId": "me", "startHistoryId": cursor, "maxResults": page_size}
    if page_token:
        kwargs["pageToken"] = page_token
    try:
        return client.execute(client.users().history().list(**kwargs), "reading the Gmail history")
    except NotFoundError:
        raise StaleCursorError("the Gmail history id has expired") from None
    except ConnectorError as exc:
        if getattr(exc, "http_status", None) == 400 and getattr(exc, "http_location", None) == "startHistoryId":
            raise StaleCursorError("the Gmail history id is not valid") from None
        raise


def has_changes(client: GmailClient, cursor: str) -> bool:
    """One request: any history at all after the cursor (a stale cursor needs a sync too)."""
    try:
        response = _history_page(client, cursor, 1, None)
    except StaleCursorError:
        return True
    return bool(response.get("history") or response.get("nextPageToken"))


def read_history(client: GmailClient, cursor: str, page_size: int) -> tuple[list[str], set[str], str]:
    """(touched ids in order, deleted ids, the history id to read from next)."""
    touched: dict[str, None] = {}
    deleted: set[str] = set()
    page_token: str | None = None
    while True:
        response = _history_page(client, cursor, page_size, page_token)
        for record in response.get("history") or []:
            for entry in record.get("messagesDeleted") or []:
                deleted.add(str(entry["message"]["id"]))
            for key in _TOUCHING:
                for entry in record.get(key) or []:
                    touched[str(entry["message"]["id"])] = None
        page_token = response.get("nextPageToken")
        if not page_token:
            next_cursor = str(response.get("historyId") or cursor)
            return [i for i in touched if i not in deleted], deleted, next_cursor


class _Membership:
    """Whether a message is in any scope; query scopes are listed once per call, and only if asked."""

    def __init__(self, client: GmailClient, scopes: Sequence[Scope], labels: LabelNames, page_size: int):
        for scope in scopes:
            check_scope(scope)
        self._client, self._scopes, self._labels, self._page_size = client, scopes, labels, page_size
        self._query_ids: set[str] | None = None

    def __call__(self, msg_id: str, label_ids: Sequence[str]) -> bool:
        for scope in self._scopes:
            if not scope.roots:
                return True
            if scope.kind == "label" and in_label_scope(scope, label_ids, self._labels):
                return True
        return msg_id in self._matching_queries()

    def _matching_queries(self) -> set[str]:
        if self._query_ids is None:
            # Spam and trash included: a trashed match is still in scope, reported as trashed.
            queries = [root for scope in self._scopes if scope.kind == "query" for root in scope.roots]
            self._query_ids = {
                msg_id
                for query in dict.fromkeys(queries)
                for msg_id in list_ids(self._client, self._page_size, query=query, include_spam_trash=True)
            }
        return self._query_ids


def list_changes(
    client: GmailClient,
    cursor: str,
    scopes: Sequence[Scope],
    labels: LabelNames,
    version: str,
    page_size: int,
    workers: int,
) -> ChangeBatch:
    touched, deleted, next_cursor = read_history(client, cursor, page_size)
    changes = [Change(msg_id, removal=RemovalReason.DELETED) for msg_id in sorted(deleted)]
    if touched:
        labels.reload()  # a relabelled message may carry a label created or renamed since
        member = _Membership(client, scopes, labels, page_size)
        for msg_id, meta in metadata_of(client, touched, workers):
            if meta is None:
                changes.append(Change(msg_id, removal=RemovalReason.DELETED))
            elif member(msg_id, [str(lid) for lid in meta.get("labelIds") or []]):
                changes.append(Change(msg_id, item=to_item(meta, labels, version)))
            else:
                changes.append(Change(msg_id, removal=RemovalReason.MOVED_OUT_OF_SCOPE))
    return ChangeBatch(changes=changes, next_cursor=next_cursor)
