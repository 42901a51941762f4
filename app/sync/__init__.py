"""Sync by file: station keys (keys) and cards (station_cards, enrollment), the bundle file (bundle, gate,
records), writing bundles (export), looking into one (inspect), importing them (importer, conflicts),
missing bundles (gaps), receipts, status, and what several of these share (common)."""
