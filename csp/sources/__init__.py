"""Extract sources: each kind of source is a `Source` registered in SOURCES under its plan name.

A plan's extract says `source: police_uk` (default `partner`); the engine looks the name up here and
asks the source what to do.
"""

from csp.sources import partner, police_uk
from csp.sources.base import DEFAULT_SOURCE, SOURCES, Source

__all__ = ["DEFAULT_SOURCE", "SOURCES", "Source", "partner", "police_uk"]
