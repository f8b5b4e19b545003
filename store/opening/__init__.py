"""Opening what the user names: a path, a file, a URL, several of them, or a folder to search.

`kinds` is the one registry of store kinds (how each is recognised and opened), `detect` turns a
path or URL into its reader, `discover` searches a folder for every store of every kind, and
`multi` shows several stores as one table. `store.open_store` is the public way in.
"""
