"""Sync by file: station keys and cards, bundles, the importer and receipts."""
