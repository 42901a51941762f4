"""帮扶 for households in difficulty: records, pairs, the village view, prints and exports (docs/aid.md)."""
