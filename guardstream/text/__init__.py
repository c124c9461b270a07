"""Text preprocessing shared by serving (detectors) and training (models)."""
