"""Plain artifact-file work: listing, kind detection, line indexes, table samples, MLmodel
summaries, hex dumps and preview plans. No Textual, no Rich: the widgets draw what these find."""
