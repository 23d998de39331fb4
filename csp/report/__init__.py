"""What readers get: the dashboard (HTML and charts), statuses.csv and statuses.xlsx, the reports
index, the peers comparison, and the templates they are written from. It reads the processed
files and never imports the engine.
"""
