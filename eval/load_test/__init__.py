"""Load test of the web page: many chat sessions over its HTTP API while an ingest writes to the index.

    python -m eval.load_test --index .baocao/demo-index --out load.json    # or --docs data/sample_reports

``runner`` drives the sessions and the ingest and reports p50/p95/max latency, throughput, errors
and wrong answers; ``page_client`` speaks the page's Gradio queue protocol; ``processes`` runs
``baocao ui`` and ``baocao ingest``; ``scenario`` holds the questions and the extra reports.
"""

from eval.load_test.runner import LoadConfig, LoadReport, load_test

__all__ = ["LoadConfig", "LoadReport", "load_test"]
