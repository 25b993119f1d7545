"""earmark.cli."""
