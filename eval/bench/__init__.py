"""`baocao bench ingest|query`: speed, memory and hit@k of the pipeline against LlamaIndex's stock one.

``corpus`` materialises the documents (a folder, or the vietnews JSONL) and the queries;
``ingest_bench`` and ``query_bench`` measure, each phase in a fresh process (``worker``) so that
peak RSS belongs to that phase alone; ``report`` writes bench.json and bench.md. See
docs/performance.md.
"""
