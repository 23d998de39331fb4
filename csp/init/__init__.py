"""`csp init`: a plan for any area, scaffolded from a police.uk download and the ONS lookups."""
