"""Read-only queries used by services and by the UI's lazy table models."""
