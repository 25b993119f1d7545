"""earmark.demo."""
