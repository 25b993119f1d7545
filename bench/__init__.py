"""``make bench``: earmark against its peers (see __main__.py and the README)."""
