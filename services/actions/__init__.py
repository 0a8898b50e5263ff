"""The register of every system's commitments and the progress they post."""
