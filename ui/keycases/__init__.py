"""联户包案 screen (docs/keycases.md)."""
