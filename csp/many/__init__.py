"""Many plans at once: the batch (light on imports, so a rerun with nothing to do starts no
cluster), the Dask runner, and `csp run` over a pattern of plans with the peers after it.
"""
