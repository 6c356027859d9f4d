"""The catalogue: what the platform knows about its data, as plain Python (no Django models).

`dictionary` is the archive's data dictionary (13 categories, 122 items, `dictionary.toml`);
`registry` declares every department source once: its department and dataset, how its file
is recognised, its columns and the dictionary items they feed, and the order sources are
imported in. Every app reads them; they import nothing of the apps.
"""
