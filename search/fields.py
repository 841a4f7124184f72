"""Where the Whoosh field types lived before they moved behind the storage seam.

An index written before the move names them here in the schema Whoosh pickled
into its table of contents; unpickling finds them through this module, so the
index opens as it is. New code imports search/backends/whoosh_fields.py.
"""

_MOVED = frozenset({"CompactPositions", "PreparedText", "RelativePositions"})


def __getattr__(name: str):
    if name in _MOVED:
        from .backends import whoosh_fields

        return getattr(whoosh_fields, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
