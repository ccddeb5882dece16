"""Version of the exosphere_sidecar package (kept equal to the sidecar's release).

`version` is the official SDK's name for it; `VERSION` is kept for code that imported it from
here in earlier releases of this package."""

version = "0.1.0"
VERSION = version
