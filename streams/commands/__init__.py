"""One module per CLI command; `guardstream.streams.cli` wires them into one typer app."""
