"""Reusable widgets: one file per widget, its own CSS in DEFAULT_CSS."""
