"""profile() and snapshot() against a seeded sandbox drive."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from connectors_pipeline.domain.file_types import GOOGLE_FOLDER, GOOGLE_SHORTCUT
from connectors_pipeline.providers.base import Scope

SHORTCUT = "application/vnd.google-apps.shortcut"


def _path(folder: tuple[str, ...], name: str) -> str:
    return "/" + "/".join((*folder, name.replace("/", "\u2215")))  # '/' in a name never invents a folder


def expected_paths(corpus: list[Any]) -> dict[int, tuple[str, ...]]:
    """Corpus index -> paths: own location first, then shortcut locations sorted."""
    paths = {i: [_path(e.folder, e.name)] for i, e in enumerate(corpus) if e.shortcut_to is None}
    for entry in corpus:
        if entry.shortcut_to is not None and not entry.trashed:
            paths[entry.shortcut_to].append(_path(entry.folder, entry.name))
    return {i: (p[0], *sorted(set(p[1:]))) for i, p in paths.items()}


def test_profile(seeded: Any) -> None:
    profile = seeded.provider().profile()
    user = seeded.state.users[seeded.email]
    assert profile.email == seeded.email
    assert profile.external_account_id == user.permission_id
    assert profile.display_name == user.display_name


def test_snapshot_lists_every_file_once_with_its_paths(seeded: Any, corpus: list[Any]) -> None:
    provider = seeded.provider()
    snapshot = provider.snapshot(Scope())
    items = list(snapshot.items)
    by_id = {item.external_id: item for item in items}
    assert len(by_id) == len(items), "a file was yielded twice"
    assert not [i for i in items if i.mime_type in (GOOGLE_FOLDER, GOOGLE_SHORTCUT)]

    expected = expected_paths(corpus)
    assert set(by_id) == {seeded.seeded[i] for i in expected}
    for index, paths in expected.items():
        item = by_id[seeded.seeded[index]]
        entry = corpus[index]
        assert item.paths == paths, entry.label
        assert item.name == entry.name and item.mime_type == entry.mime_type
        assert item.trashed == entry.trashed
        assert item.provider == "google_drive"
        assert item.modified_time is not None and item.modified_time.tzinfo == UTC
        assert item.version
        if entry.content is not None:
            assert item.size == len(entry.content) and item.md5
        else:
            assert item.size is None and item.md5 is None  # native docs have no size before export
    # the shortcut's location is merged into its target, which stays one item
    shortcut = next(e for e in corpus if e.shortcut_to is not None)
    target = by_id[seeded.seeded[shortcut.shortcut_to]]
    assert len(target.paths) == 2 and target.paths[1] == _path(shortcut.folder, shortcut.name)
    assert provider.last_listing_stats is not None and provider.last_listing_stats.shortcuts_merged == 1


def test_snapshot_takes_the_cursor_before_listing(sandbox: Any) -> None:
    drive = sandbox.drive
    drive.create_file("before.txt", None, "text/plain", b"before")
    provider = sandbox.provider()
    sandbox.state.reset_requests()
    snapshot = provider.snapshot(Scope())
    late = drive.create_file("during.txt", None, "text/plain", b"created mid-sweep")
    names = {item.name for item in snapshot.items}
    paths = [r.path for r in sandbox.state.requests]
    assert paths.index("/drive/v3/changes/startPageToken") < paths.index("/drive/v3/files")
    assert "before.txt" in names
    changed = {c.external_id for c in provider.changes(snapshot.cursor, [Scope()]).changes}
    assert late in changed  # whatever the sweep missed, the cursor catches


def test_snapshot_of_a_folder_scope(seeded: Any, corpus: list[Any]) -> None:
    drive = seeded.drive
    by_name = {f.name: f.id for f in drive.files.values() if f.mime_type == GOOGLE_FOLDER}
    projects = by_name["Projects"]
    provider = seeded.provider(page_size=5)  # several pages per query

    recursive = list(provider.snapshot(Scope(roots=(projects,))).items)
    expected = expected_paths(corpus)
    # only in-scope locations count: the PDF's shortcut lives in /Shared Notes, outside the scope
    under = {
        seeded.seeded[i]: tuple(x for x in p if x.startswith("/Projects/"))
        for i, p in expected.items()
        if corpus[i].folder[:1] == ("Projects",)
    }
    assert {i.external_id: i.paths for i in recursive} == under

    flat = list(provider.snapshot(Scope(roots=(projects,), recursive=False)).items)
    assert {i.external_id for i in flat} == {seeded.seeded[i] for i in expected if corpus[i].folder == ("Projects",)}

    # a shortcut inside the scope pulls in its target from outside it, at the shortcut's path only
    shared = by_name["Shared Notes"]
    pdf = next(i for i, e in enumerate(corpus) if e.shortcut_to is None and e.name == "Project Alpha overview.pdf")
    items = {i.external_id: i for i in provider.snapshot(Scope(roots=(shared,))).items}
    assert items[seeded.seeded[pdf]].paths == ("/Shared Notes/Project Alpha overview.pdf",)


def test_broken_and_folder_shortcuts_yield_nothing_but_are_counted(sandbox: Any) -> None:
    drive = sandbox.drive
    folder = drive.create_folder("Folder")
    doomed = drive.create_file("doomed.txt", folder, "text/plain", b"x")
    drive.add_shortcut("Link to doomed", None, doomed)
    drive.add_shortcut("Link to folder", None, folder)
    drive.delete(doomed)
    provider = sandbox.provider()
    assert list(provider.snapshot(Scope()).items) == []
    stats = provider.last_listing_stats
    assert stats is not None and (stats.shortcuts_skipped, stats.files) == (1, 0)
    assert stats.shortcuts_broken == 1


def test_registry_builds_the_drive_provider(sandbox: Any) -> None:
    from connectors_pipeline.providers.registry import provider_info

    info = provider_info("google_drive")
    from connectors_pipeline.resilience.guard import UNGUARDED

    provider = info.factory(sandbox.client, sandbox.tokens, sandbox.saved.append, UNGUARDED)
    assert provider.name == "google_drive" and provider.profile().email == sandbox.email
