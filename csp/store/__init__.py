"""The files csp keeps between steps and runs: the processed folder's names, what a report was made
from (the manifest and its checksums), and folders locked, staged and swapped in whole.
"""
