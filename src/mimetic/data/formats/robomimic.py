"""Placeholder: the robomimic format is being written in this session."""
