"""Screens: one file per screen."""
