"""Reading what partners and the ONS send: every CSV's bytes, typed columns, the inventory of a
quarter's extract files (with `availability.csv` and `commentary.csv`), ONS lookups, and extracts
at a URL copied before a run.
"""
