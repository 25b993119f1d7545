"""earmark.store."""
