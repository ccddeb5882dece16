"""Version of the exosphere_sidecar package (kept equal to the sidecar's release)."""

VERSION = "0.1.0"
