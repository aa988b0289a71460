"""Extraction on several processes keeps the order of its input and reports bad items without failing."""

from __future__ import annotations

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.sync.extraction_pool import POOL_THRESHOLD, extract_all


def test_pool_results_follow_input_order_and_carry_per_item_errors(tmp_path):
    jobs = []
    for n in range(POOL_THRESHOLD + 8):  # more than one window, through the pool
        path = tmp_path / f"{n}.txt"
        if n == 5:
            path.write_bytes(b"%PDF-1.4 this is not really a PDF")
            jobs.append((path, "application/pdf", "broken.pdf"))
        else:
            path.write_text(f"document number {n}\n", encoding="utf-8")
            jobs.append((path, "text/plain", f"{n}.txt"))

    results = list(extract_all(jobs, workers=2))

    assert isinstance(results[5], ExtractionError) and "PDF" in str(results[5])
    texts = [r.text for i, r in enumerate(results) if i != 5]
    assert texts == [f"document number {n}" for n in range(len(jobs)) if n != 5]
