"""Table models that several screens build on: the lazily loaded model over a list of ids (lazy)."""
