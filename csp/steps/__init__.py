"""The three steps of a quarter's run, one module each, each one call over a `QuarterRun`:
`clean.run`, `measure.run`, `render.run`.

The notebooks, `csp run`, the benchmarks and the tests all call these, so there is one wiring. Each
step reads the previous step's files from the run's processed folder and writes its own. A step's
module imports only what that step needs, so each notebook's kernel pays for its own imports only
(the render step's matplotlib is not loaded to clean extracts).
"""
