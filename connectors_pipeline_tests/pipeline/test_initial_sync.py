"""The initial sync through Dagster against the sandbox: every allowed file in, every other skipped with reason."""

from __future__ import annotations

from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline_tests.pipeline.ground_truth import INGESTED, actual_by_id, expected_by_id


def run_sync(world, **kwargs):
    job = defs.resolve_job_def("google_drive_sync")
    return job.execute_in_process(partition_key=world.key, instance=world.instance, **kwargs)


def test_initial_sync_matches_ground_truth_item_by_item(drive_world):
    result = run_sync(drive_world)

    assert result.success
    expected = expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy())
    assert actual_by_id(drive_world.store, drive_world.key) == expected
    assert set(expected.values()) >= {
        INGESTED,
        "skipped:trashed",
        "skipped:policy_max_size",
        "skipped:unsupported_type",
        "skipped:export_too_large",
    }
    ingested = sum(1 for outcome in expected.values() if outcome == INGESTED)
    assert drive_world.store.count_documents(drive_world.key) == ingested
    assert all(e.passed for e in result.get_asset_check_evaluations())


def test_vault_documents_carry_name_paths_text_and_provenance(drive_world):
    run_sync(drive_world)
    store, corpus, ids = drive_world.store, drive_world.corpus, drive_world.ids
    items = store.load_items(drive_world.key)
    shortcut = next(e for e in corpus if e.label == "shortcut")
    target_id = ids[shortcut.shortcut_to]
    target = items[target_id]
    assert len(target.paths) == 2, "a file reachable through a shortcut is one item with both paths"

    doc = store.get_document(target.vault_document_id)
    assert doc.title == corpus[shortcut.shortcut_to].name
    assert doc.text.strip()
    native_doc = items[ids[next(i for i, e in enumerate(corpus) if e.label == "google_doc")]]
    provenance = store.get_document(native_doc.vault_document_id).provenance
    assert provenance["method"] == "export" and provenance["content_mime"] == "text/markdown"


def test_second_sync_adds_no_document_and_no_version(drive_world):
    run_sync(drive_world)
    documents, versions = (
        drive_world.store.count_documents(drive_world.key),
        drive_world.store.count_versions(drive_world.key),
    )
    drive_world.state.reset_requests()

    result = run_sync(drive_world)

    assert result.success
    assert drive_world.store.count_documents(drive_world.key) == documents
    assert drive_world.store.count_versions(drive_world.key) == versions
    vault = next(
        e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "vault_items"
    ).materialization.metadata
    assert vault["documents_created"].value == 0 and vault["documents_updated"].value == 0
    downloads = [r for r in drive_world.state.requests if r.query.get("alt") == "media"]
    assert downloads == [], "nothing changed upstream, so nothing is downloaded or exported again"


def test_search_finds_ingested_text(drive_world):
    run_sync(drive_world)
    pdf_index = next(i for i, e in enumerate(drive_world.corpus) if e.label == "pdf")
    doc_id = drive_world.store.load_items(drive_world.key)[drive_world.ids[pdf_index]].vault_document_id
    word = max(drive_world.store.get_document(doc_id).text.split(), key=len).strip(".,;:!?()[]\"'")

    hits = drive_world.store.search(word)

    assert doc_id in [hit.document_id for hit in hits]


def test_tightened_policy_removes_forbidden_documents_with_reason(drive_world, monkeypatch):
    run_sync(drive_world)
    monkeypatch.setenv("ORG_CONNECTORS_ALLOWED_FILE_TYPES", "pdf")

    result = run_sync(drive_world)

    assert result.success
    store = drive_world.store
    live = list(store.iter_live_documents(drive_world.key))
    assert live and all(doc.mime_type == "application/pdf" for doc in live)
    removed = [
        store.get_document(i.vault_document_id)
        for i in store.load_items(drive_world.key).values()
        if i.vault_document_id and i.mime_type != "application/pdf"
    ]
    assert removed and all(d.deleted_reason == "policy_file_type" for d in removed)


def test_file_listing_is_a_dataframe_per_account_with_every_decision(drive_world):
    run_sync(drive_world)

    frame = defs.load_asset_value(
        ["google_drive", "file_listing"], partition_key=drive_world.key, instance=drive_world.instance
    )

    expected = expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy())
    assert sorted(frame["external_id"]) == sorted(expected)
    decisions = dict(zip(frame["external_id"], frame["decision"], strict=True))
    # The listing judges metadata only; what fails at export (a >10 MB export) was still "new" there.
    decided_at_export = {"ingested", "skipped:export_too_large"}
    assert decisions == {k: "new" if v in decided_at_export else v for k, v in expected.items()}


def test_a_hostile_file_name_is_ingested_and_shown_escaped(drive_world):
    from click.testing import CliRunner

    from connectors_pipeline.cli import main

    run_sync(drive_world)
    index = next(i for i, e in enumerate(drive_world.corpus) if e.label == "hostile_name")
    item = drive_world.store.load_items(drive_world.key)[drive_world.ids[index]]
    assert item.status == "synced" and "\u202e" in item.name

    shown = CliRunner().invoke(main, ["vault", "show", str(item.vault_document_id)])

    assert shown.exit_code == 0
    assert "\u202e" not in shown.output and "\x07" not in shown.output
    assert "\\u202e" in shown.output
