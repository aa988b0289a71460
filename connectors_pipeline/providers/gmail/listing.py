"""Listing messages: ids through messages.list (per label root or search query), then each message's
labels and subject through messages.get(format=metadata), a few requests in flight at once.

messages.list gives ids only, so a listing costs one metadata request per message; a small thread
pool keeps that fast while at most `window` messages' metadata is held at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.providers.gmail.client import GmailClient
from connectors_pipeline.providers.gmail.items import ITEM_HEADERS, LabelNames, check_scope, to_item


def list_ids(
    client: GmailClient,
    page_size: int,
    *,
    label: str | None = None,
    query: str | None = None,
    include_spam_trash: bool = False,
) -> Iterator[str]:
    """Message ids, newest first, page by page (spam and trash left out unless asked)."""
    kwargs: dict[str, Any] = {"userId": "me", "maxResults": page_size}
    if include_spam_trash:
        kwargs["includeSpamTrash"] = True
    if label is not None:
        kwargs["labelIds"] = [label]
    if query is not None:
        kwargs["q"] = query
    page_token: str | None = None
    while True:
        request = client.users().messages().list(**kwargs, **({"pageToken": page_token} if page_token else {}))
        response = client.execute(request, "listing Gmail messages")
        for ref in response.get("messages") or []:  # no `messages` key at all when nothing matches
            yield str(ref["id"])
        page_token = response.get("nextPageToken")
        if not page_token:
            return


def scope_ids(client: GmailClient, scope: Scope, labels: LabelNames, page_size: int) -> Iterator[str]:
    """Every message in the scope once, even when several roots hold it."""
    check_scope(scope)
    if not scope.roots:
        yield from list_ids(client, page_size)
        return
    seen: set[str] = set()
    for root in scope.roots:
        if scope.kind == "label":
            ids = list_ids(client, page_size, label=labels.resolve(root))
        else:
            ids = list_ids(client, page_size, query=root)
        for msg_id in ids:
            if msg_id not in seen:
                seen.add(msg_id)
                yield msg_id


def get_metadata(client: GmailClient, msg_id: str, headers: Iterable[str] = ITEM_HEADERS) -> dict[str, Any] | None:
    """A message's labels, dates and the given headers; None when it is gone."""
    request = client.users().messages().get(userId="me", id=msg_id, format="metadata", metadataHeaders=list(headers))
    try:
        return client.execute(request, "reading a Gmail message's metadata")
    except NotFoundError:
        return None


def metadata_of(client: GmailClient, ids: Iterable[str], workers: int) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(id, metadata or None) for each id, in order, with up to `workers` requests in flight."""
    ids = iter(ids)
    window = workers * 4
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gmail-metadata") as pool:
        while chunk := list(islice(ids, window)):
            yield from zip(chunk, pool.map(lambda msg_id: get_metadata(client, msg_id), chunk), strict=True)


def snapshot_items(
    client: GmailClient, scope: Scope, labels: LabelNames, version: str, page_size: int, workers: int
) -> Iterator[RemoteItem]:
    for _, meta in metadata_of(client, scope_ids(client, scope, labels, page_size), workers):
        if meta is not None:  # deleted since it was listed: changes(cursor) reports it
            yield to_item(meta, labels, version)
