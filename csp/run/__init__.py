"""Running one quarter: the papermill pipeline and its kernels, `csp run` for one plan, `--latest`'s
choice of quarter, the run log and the schedule that runs it each day.
"""
