"""`csp schedule`: the crontab line and the systemd units that run `csp run --latest` each day.

Nothing is installed; the lines are printed for the analyst to paste. A daily run is cheap when
nothing changed (the quarter is "up to date") and makes the next quarter's report the day its last
month of data lands. Neither cron nor systemd starts in the project or has the analyst's PATH, so
every path is absolute, and the CSP_* variables set where `csp schedule` runs are carried over, so
the scheduled run writes where this one would. Each reads its command its own way, so each gets its
own quoting: cron hands the line to /bin/sh after turning every unescaped `%` into a newline; systemd
splits ExecStart= itself (double quotes, C escapes), expands `%` specifiers everywhere and `$`
variables in arguments (`%%`, `$$`), and takes WorkingDirectory= unquoted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from croniter import croniter

from csp import config
from csp.domain import parameters
from csp.errors import CspError, ParameterError

DEFAULT_AT = "06:30"
# What a scheduled run must see as this shell's csp sees it: the project, its outputs, the key.
CARRIED_ENVIRONMENT = ("CSP_ROOT", "CSP_PROCESSED_DIR", "CSP_REPORTS_DIR", "CSP_KEY_FILE")
UNITS_FOLDER = "~/.config/systemd/user"
_AT = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNIT_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")  # '-' too, so that runs of them fold into one
_SYSTEMD_PLAIN = re.compile(r"^[A-Za-z0-9_./:=@+,-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass(frozen=True)
class Schedule:
    """One daily run of `csp run --plan PLANS --latest`, as both schedulers will start it."""

    plans: str  # a plan name, a pattern of names ('cleveland-*'), or a plan file's absolute path
    hour: int
    minute: int
    program: tuple[str, ...]  # how to start csp: its script, or the interpreter with -m csp
    root: Path
    raw_dir: Path | None = None
    environment: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The units' name, and the cron log's: csp-cleveland for 'cleveland-*'."""
        stem = Path(self.plans).stem if self.plans.endswith((".yml", ".yaml")) else self.plans
        slug = _UNIT_UNSAFE.sub("-", stem).strip("-.")
        return f"csp-{slug or 'all'}"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / f"{self.name}.log"

    def command(self) -> list[str]:
        extra = ["--raw-dir", str(self.raw_dir)] if self.raw_dir else []
        return [*self.program, "run", "--plan", self.plans, "--latest", *extra]


def schedule_for(
    plans: str,
    at: str | None = None,
    raw_dir: str | None = None,
    *,
    argv0: str,
    python: str,
    environ: Mapping[str, str],
) -> Schedule:
    """The schedule `csp schedule` prints, its plans, time and folders checked first: a typo is
    answered now, not by a silent failure at 06:30 every day."""
    hour, minute = parse_at(at or DEFAULT_AT)
    folder = config.resolve(raw_dir) if raw_dir else None
    if folder is not None and not folder.is_dir():
        raise ParameterError(f"no extracts folder at {config.shown(folder)}")
    found = Schedule(
        plans=plans_argument(plans),
        hour=hour,
        minute=minute,
        program=csp_program(argv0, python),
        root=config.PROJECT_ROOT,
        raw_dir=folder,
        environment=carried_environment(environ),
    )
    check_printable(found)
    return found


def parse_at(text: str) -> tuple[int, int]:
    """'06:30' -> (6, 30): a time of day on the 24-hour clock."""
    match = _AT.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ParameterError(f"time {text!r} is not a time of day of the form 06:30")
    return int(match.group(1)), int(match.group(2))


def plans_argument(text: str) -> str:
    """A plan file, or a pattern over a folder's plan files, as an absolute path (the run starts
    elsewhere); or a name or pattern that names at least one plan in plans/. Patterns are matched
    as `csp run` matches them (`config.matching_plans`)."""
    path = Path(text)
    if path.suffix in {".yml", ".yaml"} or (config.is_pattern(text) and len(path.parts) > 1):
        if not config.is_pattern(text):
            return str(parameters.existing_plan(text))
        config.matching_plans(text)  # refuses a pattern naming no plan file
        return str(config.resolve(path.parent) / path.name)
    try:
        config.matching_plans(text) if config.is_pattern(text) else parameters.existing_plan(text)
    except CspError:
        known = config.available_plans()
        raise ParameterError(
            f"no plan in {config.shown(config.PLANS_DIR)} matches '{text}' "
            f"(known plans: {', '.join(known) or 'none'})"
        ) from None
    return text


def csp_program(argv0: str, python: str) -> tuple[str, ...]:
    """This csp by absolute path: the script it was started as, or the one beside the interpreter
    (not resolved: a virtual environment's python is a link out of it), else `python -m csp`."""
    script = Path(os.path.abspath(argv0))
    if script.name == "csp" and script.is_file():
        return (str(script),)
    beside = Path(os.path.abspath(python)).parent / "csp"
    if beside.is_file():
        return (str(beside),)
    return (os.path.abspath(python), "-m", "csp")


def carried_environment(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The CSP_* settings of this shell, as absolute paths (the scheduled run starts in the root)."""
    return tuple(
        (name, os.path.abspath(environ[name])) for name in CARRIED_ENVIRONMENT if environ.get(name)
    )


def check_printable(schedule: Schedule) -> None:
    """Refuse what neither scheduler can take whole: a control character or a backslash in a
    path, or a quote in the program's path (systemd will not start it)."""
    texts = [schedule.plans, str(schedule.root), *schedule.command(), *dict(schedule.environment)]
    texts += [value for _, value in schedule.environment]
    for text in texts:
        if _CONTROL.search(text):
            raise ParameterError(f"cannot schedule {text!r}: no control characters or backslashes")
    if any(quote in schedule.program[0] for quote in "\"'"):
        raise ParameterError(
            f"systemd cannot start a program whose path holds a quote: {schedule.program[0]}"
        )


# cron --------------------------------------------------------------------------------------------


def crontab_line(schedule: Schedule) -> str:
    """Minute, hour, every day; then the command for /bin/sh, with its output added to the log."""
    words = [f"{name}={shlex.quote(value)}" for name, value in schedule.environment]
    words += [shlex.quote(word) for word in schedule.command()]
    log = schedule.log_file
    command = (
        f"cd {shlex.quote(str(schedule.root))} && mkdir -p {shlex.quote(str(log.parent))} && "
        f"{' '.join(words)} >> {shlex.quote(str(log))} 2>&1"
    )
    return f"{cron_times(schedule)} {cron_escaped(command)}"


def cron_times(schedule: Schedule) -> str:
    """The five time fields: minute, hour, any day of any month, any weekday."""
    return f"{schedule.minute} {schedule.hour} * * *"


def next_runs(schedule: Schedule, now: dt.datetime, count: int = 2) -> list[dt.datetime]:
    """When cron will start it, as croniter reads the printed fields: shown to the analyst."""
    runs = croniter(cron_times(schedule), now)
    return [runs.get_next(dt.datetime) for _ in range(count)]


def cron_escaped(command: str) -> str:
    """cron reads an unescaped `%` as the end of the command (the rest is its input)."""
    return command.replace("%", r"\%")


# systemd -----------------------------------------------------------------------------------------


def service_unit(schedule: Schedule) -> str:
    """A oneshot service: the run, started in the project, its output in the journal."""
    lines = [
        "[Unit]",
        f"Description={specifiers_escaped(f'csp: the latest quarter of {schedule.plans}')}",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={specifiers_escaped(str(schedule.root))}",
    ]
    lines += [
        f"Environment={systemd_quoted(f'{name}={value}', variables=False)}"
        for name, value in schedule.environment
    ]
    lines.append(f"ExecStart={exec_start(schedule.command())}")
    return "\n".join(lines) + "\n"


def timer_unit(schedule: Schedule) -> str:
    """Each day at the time given; Persistent=true runs a day missed while the machine was off."""
    lines = [
        "[Unit]",
        f"Description=Run {schedule.name}.service each day at {schedule.hour:02d}:{schedule.minute:02d}",
        "",
        "[Timer]",
        f"OnCalendar={on_calendar(schedule)}",
        "Persistent=true",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    return "\n".join(lines) + "\n"


def on_calendar(schedule: Schedule) -> str:
    return f"*-*-* {schedule.hour:02d}:{schedule.minute:02d}:00"


def exec_start(command: list[str]) -> str:
    """The program is not searched for `$` variables, its arguments are."""
    program, *arguments = command
    return " ".join(
        [systemd_quoted(program, variables=False)]
        + [systemd_quoted(word, variables=True) for word in arguments]
    )


def systemd_quoted(word: str, *, variables: bool) -> str:
    """One word as systemd splits and expands it back: `%` (and, where expanded, `$`) doubled;
    double-quoted, with `"` escaped, unless it is plain."""
    text = specifiers_escaped(word)
    if variables:
        text = text.replace("$", "$$")
    if _SYSTEMD_PLAIN.match(word):
        return text
    return '"' + text.replace('"', r"\"") + '"'


def specifiers_escaped(text: str) -> str:
    return text.replace("%", "%%")


# what `csp schedule` prints ----------------------------------------------------------------------


def unit_path(schedule: Schedule, kind: str) -> str:
    return f"{UNITS_FOLDER}/{schedule.name}.{kind}"


def instructions(schedule: Schedule, now: dt.datetime) -> str:
    """Both ways to run it, each with how to install it; the analyst chooses one."""
    at = f"{schedule.hour:02d}:{schedule.minute:02d}"
    upcoming = ", ".join(f"{when:%a %d %b %Y %H:%M}" for when in next_runs(schedule, now))
    return "\n".join(
        [
            f"# csp schedule: `csp run --plan {shlex.quote(schedule.plans)} --latest` each day at {at}",
            f"# (this machine's time); next runs: {upcoming}.",
            "# Nothing is installed: choose one of the two ways below.",
            "#",
            f"# 1. cron: run `crontab -e` and add this line (output: {schedule.log_file})",
            crontab_line(schedule),
            "#",
            f"# 2. systemd: save the two units below in {UNITS_FOLDER}/, then",
            "#      systemctl --user daemon-reload",
            f"#      systemctl --user enable --now {schedule.name}.timer",
            f"#    output: journalctl --user -u {schedule.name}; to run while you are logged out:",
            "#      loginctl enable-linger $USER",
            f"# ---- {unit_path(schedule, 'service')}",
            service_unit(schedule).rstrip("\n"),
            f"# ---- {unit_path(schedule, 'timer')}",
            timer_unit(schedule),
        ]
    )


PARTS = {"cron": crontab_line, "service": service_unit, "timer": timer_unit}


def part(schedule: Schedule, which: str | None, now: dt.datetime) -> str:
    """What to print: everything with its instructions, or one part as it is to be saved."""
    if which is None:
        return instructions(schedule, now)
    text = PARTS[which](schedule)
    return text if text.endswith("\n") else text + "\n"
