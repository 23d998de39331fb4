"""csp: Community Safety Plan performance dashboards from partner extracts."""

__version__ = "0.1.0"
