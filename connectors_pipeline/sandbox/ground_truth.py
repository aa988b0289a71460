"""The sandbox's ground truth: what the vault should say about every file of a sandbox drive.

Tests and `connectors bench faults` compare `drive_truth` (from the sandbox's own state) with
`vault_state` (what the pipeline recorded) item by item: statuses, paths and every deletion reason.
"""

from __future__ import annotations

from connectors_pipeline.domain.file_types import file_type_of
from connectors_pipeline.domain.policy import OrgPolicy

INGESTED = "ingested"


def _segment(name: str) -> str:
    return (name or "").replace("/", "\u2215").strip() or "untitled"


def _path(drive, f) -> tuple[str, list[str]]:
    """(absolute path, ancestor folder ids) of a sandbox file, as the provider builds it."""
    segments, ancestors = [_segment(f.name)], []
    parent = f.parent_id
    while parent and parent != drive.root_id and parent in drive.files:
        folder = drive.files[parent]
        segments.append(_segment(folder.name))
        ancestors.append(folder.id)
        parent = folder.parent_id
    return "/" + "/".join(reversed(segments)), ancestors


def drive_truth(drive, known: set[str], policy: OrgPolicy, root: str | None = None) -> dict[str, tuple]:
    """What the vault should say about every file the sandbox has and every item it ever knew.

    Values: ("ingested", paths), ("skipped:<reason>", None) or ("deleted:<reason>", None), from the
    sandbox's own state: deleted files, files no longer shared, files outside the registered folder
    `root` (None: the whole drive), trashed files, and the policy.
    """
    in_scope = {}
    for f in drive.files.values():
        if f.is_folder or f.id == drive.root_id or not drive.is_visible(f):
            continue
        path, ancestors = _path(drive, f)
        if root is None or root in ancestors:
            in_scope[f.id] = (f, path)
    truth: dict[str, tuple] = {}
    shortcut_paths: dict[str, set[str]] = {}
    for f, path in in_scope.values():
        if f.shortcut_target is not None and not drive.is_trashed(f):
            shortcut_paths.setdefault(f.shortcut_target, set()).add(path)
    reachable = {fid for fid in in_scope if drive.files[fid].shortcut_target is None} | set(shortcut_paths)
    for file_id in reachable | known:
        f = drive.files.get(file_id)
        if f is None:
            truth[file_id] = ("deleted:deleted", None)
        elif not drive.is_visible(f):
            truth[file_id] = ("deleted:access_lost" if f.owner_email else "deleted:deleted", None)
        elif file_id not in reachable:
            truth[file_id] = ("deleted:moved_out_of_scope", None)
        elif drive.is_trashed(f):
            truth[file_id] = ("skipped:trashed", None)
        else:
            own = {in_scope[file_id][1]} if file_id in in_scope else set()
            reason = policy_skip(f, policy)
            truth[file_id] = (
                (f"skipped:{reason}", None) if reason else (INGESTED, own | shortcut_paths.get(file_id, set()))
            )
    return truth


def policy_skip(f, policy: OrgPolicy) -> str | None:
    """The policy's skip reason for a sandbox file or a corpus entry (both have mime_type and content)."""
    file_type = file_type_of(f.mime_type)
    if file_type is None:
        return "unsupported_type"
    if file_type not in policy.allowed_file_types:
        return "policy_file_type"
    if f.content is not None and len(f.content) > policy.max_file_size_bytes:
        return "policy_max_size"
    return None


def vault_state(store, partition_key: str) -> dict[str, tuple]:
    """The same view of what the pipeline recorded: item status, document paths, deletion reasons."""
    state: dict[str, tuple] = {}
    for external_id, item in store.load_items(partition_key).items():
        document = store.get_document(item.vault_document_id) if item.vault_document_id else None
        if item.status == "synced":
            live = document is not None and document.deleted_at is None
            state[external_id] = (INGESTED, set(document.paths)) if live else ("synced_without_live_document", None)
        elif item.status in ("skipped", "deleted"):
            agrees = document is None or document.deleted_reason == item.skip_reason
            label = f"{item.status}:{item.skip_reason}"
            state[external_id] = (
                (label, None) if agrees else (f"{label} but document says {document.deleted_reason}", None)
            )
        else:
            state[external_id] = (item.status, None)
    return state


def differences(truth: dict[str, tuple], vault: dict[str, tuple]) -> dict[str, tuple]:
    """Item id -> (expected, recorded) wherever the vault and the sandbox disagree."""
    return {
        key: (truth.get(key), vault.get(key)) for key in truth.keys() | vault.keys() if truth.get(key) != vault.get(key)
    }


# Gmail: the places a person sees (system labels) and user labels become paths, as "Inbox/Subject".
_GMAIL_PLACES = {"INBOX": "Inbox", "SENT": "Sent", "STARRED": "Starred", "DRAFT": "Drafts"}


def _subject(raw: bytes) -> str:
    import email
    import email.policy

    subject = str(email.message_from_bytes(raw, policy=email.policy.default).get("Subject") or "").strip()
    return subject.replace("/", "\u2215") or "(no subject)"


def mailbox_truth(mailbox, known: set[str], label_root: str | None = None) -> dict[str, tuple]:
    """What the vault should say about every message of a sandbox mailbox (scope: a label id, or all)."""
    truth: dict[str, tuple] = {}
    for message in mailbox.messages.values():
        labels = set(message.label_ids)
        if label_root is not None and label_root not in labels:
            if message.id in known:
                truth[message.id] = ("deleted:moved_out_of_scope", None)
            continue
        if labels & {"TRASH", "SPAM"}:
            truth[message.id] = ("skipped:trashed", None)
            continue
        subject = _subject(message.raw)
        places = [name for label, name in _GMAIL_PLACES.items() if label in labels]
        places += sorted(
            mailbox.labels[label].name for label in labels if label in mailbox.labels and label.startswith("Label_")
        )
        truth[message.id] = (INGESTED, {f"{place}/{subject}" for place in places} or {f"All Mail/{subject}"})
    for gone in known - set(mailbox.messages):
        truth[gone] = ("deleted:deleted", None)
    return truth


def workspace_truth(workspace, known: set[str]) -> dict[str, tuple]:
    """What the vault should say about every page and data source of a sandbox Notion workspace.

    Trashed items the pipeline never saw stay unknown (Notion lists no trash); ones it knew are
    skipped as trashed. Deleted or unshared ones it knew are deleted (Notion answers 404 to both).
    """
    truth: dict[str, tuple] = {}
    visible = {item["id"]: item for item in workspace.visible_items()}
    for item_id, item in visible.items():
        if item["in_trash"]:
            if item_id in known:
                truth[item_id] = ("skipped:trashed", None)
            continue
        truth[item_id] = (INGESTED, {"/".join(_segment(title) for title in item["path"])})
    for gone in known - set(visible):
        truth[gone] = ("deleted:deleted", None)
    return truth
