"""Model artefacts and their run-time loaders (installed as ``guardstream.models``)."""
