"""`baocao serve`: one resident process answers the `baocao ask` calls of one index.

Why a resident process: a fresh Python process spends about 2 s importing llama-index, Chroma and
bm25s and loading the question's embedding engine before it can answer (the pipeline's retrievers
and reranker are llama-index classes, so no import order avoids that). A server pays it once; each
`baocao ask` then only starts the CLI (typer, pydantic: about 0.2 s), sends the question over a
Unix socket and prints the reply. With no server running, `ask` answers in its own process, as
before. The socket lives in a folder only this user can enter, one socket per index folder.
"""
