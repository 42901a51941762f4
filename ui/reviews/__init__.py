"""两评 screen (docs/reviews.md)."""
