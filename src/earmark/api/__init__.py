"""earmark.api."""
