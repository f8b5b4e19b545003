"""Thin adapters that let training frameworks log into a tracktui store with one line.

Each module imports its framework, so import the one you use (they are not imported here):
`store.integrations.lightning.TrackTUILogger`, `store.integrations.huggingface.TrackTUICallback`,
`store.integrations.keras.TrackTUICallback`. The frameworks come with the `integrations` extra.
"""
