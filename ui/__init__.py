"""baocao's web page (Gradio): chat with cited answers, the source view, and document management.

Nothing here loads a model or the index at import; :func:`ui.app.main` opens them once at start.
"""
