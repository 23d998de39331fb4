"""The statistics: exact tests, intervals, projections, Making Data Count rules and funnel limits,
as small functions over numbers that import nothing of csp.
"""
