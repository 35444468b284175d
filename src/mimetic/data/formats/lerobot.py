"""Placeholder: the lerobot format is being written in this session."""
