"""Build-time scripts that produce the artefacts shipped in ``guardstream.models``."""
