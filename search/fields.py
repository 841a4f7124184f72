"""The name under which Whoosh indexes know vnsearch's field types.

The types live in search/backends/whoosh_fields.py, behind the storage seam,
but the schema Whoosh pickles into every table of contents names them here, as
it did before they moved: unpickling finds them through this module, so indexes
written before and after open alike in every vnsearch of their schema version.
"""


def __getattr__(name: str):
    from .backends import whoosh_fields

    found = getattr(whoosh_fields, name, None)
    if getattr(found, "__module__", None) == __name__:  # one of the classes named here
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
