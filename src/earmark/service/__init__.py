"""earmark.service."""
