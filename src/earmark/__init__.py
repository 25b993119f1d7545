"""earmark: an inventory promising engine."""

__version__ = "0.1.0"
