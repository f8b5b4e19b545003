"""The writing side: the run writer and its lifecycle (flush, exit, signals), console capture, system
metrics, inputs, media, the W&B-style front end and `tracktui run`'s wrapper."""
