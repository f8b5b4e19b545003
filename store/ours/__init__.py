"""Our own format: names and atomic files, run folders, the lock, the reader, the listing index."""
