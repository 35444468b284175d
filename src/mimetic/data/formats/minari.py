"""Placeholder: the minari format is being written in this session."""
