"""Synthetic Wuhai: a realistic city, its departments' dirty exports, and ground truth.

Plain Python (no Django): `generate()` is what `minsheng synth` and `python -m
minsheng.synth` call. See docs/synthetic-city.md for the output contract.
"""

from .config import AS_OF, DEFAULT_DIRT, GENERATOR_VERSION, SOURCES, DirtConfig

__all__ = ["AS_OF", "DEFAULT_DIRT", "GENERATOR_VERSION", "SOURCES", "DirtConfig", "generate"]


def generate(*args: object, **kwargs: object) -> dict:
    """Lazy re-export of `minsheng.synth.generate.generate` (keeps `import minsheng.synth` light)."""
    from .generate import generate as _generate

    return _generate(*args, **kwargs)  # type: ignore[arg-type]
