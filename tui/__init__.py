"""tracktui's terminal app."""
