"""Plain functions that shape run data for the screens: no Textual, no Rich, testable alone."""
