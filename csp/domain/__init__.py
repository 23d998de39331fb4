"""The words every wing shares: plan years and quarters, a run's parameters, the record table and
its filters, the extract specs a source reads, data-quality facts, statuses and comment figures.

`parameters` imports neither pandas nor pydantic, so the command line can check a run before the
heavy imports; `figures` and `statuses` import nothing at all.
"""
