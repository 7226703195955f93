"""Synthetic broadcast-like clips with their exact ball track, and the built-in demo clip."""
