"""The promising domain: pure Python, no I/O, no clock (today is passed in)."""
