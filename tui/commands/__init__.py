"""What `tracktui` subcommands print (`ls`, `diff`, `logs`, `push`, `run`, `models`, curation, `demo`);
`tui/cli.py` only parses and dispatches."""
