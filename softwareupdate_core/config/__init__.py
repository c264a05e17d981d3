"""Configuration: the settings model, loading it, overlays, and the effective config of a round."""
