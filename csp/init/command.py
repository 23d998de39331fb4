"""`csp init` from its parsed arguments. Light on imports: the scaffold (pandas, pyarrow) is imported
only once the command is sure to run."""

from __future__ import annotations

import argparse

from csp import config


def init(args: argparse.Namespace) -> None:
    """One plan, or one per partnership of the force (`--all-areas`), each summarised."""
    from csp.init import scaffold  # deferred, as for run: pandas and pyarrow

    request = scaffold.InitRequest(
        plan=args.plan,
        police_force=args.police_force,
        area=args.area,
        all_areas=args.all_areas,
        year_start=args.year_start,
        raw_dir=config.resolve(args.raw_dir),
        ons_dir=scaffold.ons_folder(args.ons_dir, config.resolve(args.raw_dir)),
        overwrite=args.force,
    )
    for written in scaffold.init(request):
        print(scaffold.summary(written))
