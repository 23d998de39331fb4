"""`csp schedule`: the crontab line and the systemd units it prints are valid for cron and systemd,
and start `csp run --plan PATTERN --latest` in the project with the words intact, whatever the
project's path holds (spaces, `%`, `$`, `*`)."""

from __future__ import annotations

import configparser
import datetime as dt
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from croniter import croniter

from csp import cli, config
from csp.errors import CspError, ParameterError, PlanError
from csp.run import schedule
from csp.run.schedule import Schedule

Captured = pytest.CaptureFixture[str]

# The fake csp a scheduled command starts: it writes down how it was started, and says so.
RECORDER = """#!/bin/sh
exec {python} -c 'import json, os, sys
started = {{"argv": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}}
json.dump(started, open(os.environ["RECORD"], "w"))
print("started")' "$@"
"""


@pytest.fixture
def odd_project(tmp_path: Path) -> Path:
    """A project whose path holds what cron and systemd each read specially, with an executable
    csp in it that records its arguments, folder and environment."""
    root = tmp_path / "CSP data 100% $HOME *" / "project"
    program = root / ".venv" / "bin" / "csp"
    program.parent.mkdir(parents=True)
    program.write_text(RECORDER.format(python=sys.executable), encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "it's $raw").mkdir()
    return root


def odd_schedule(root: Path, **changes: object) -> Schedule:
    fields = {
        "plans": "cleveland-*",
        "hour": 6,
        "minute": 5,
        "program": (str(root / ".venv" / "bin" / "csp"),),
        "root": root,
        "raw_dir": root.parents[1] / "it's $raw",
        "environment": (("CSP_REPORTS_DIR", str(root / "reports 50%")),),
    }
    return Schedule(**{**fields, **changes})


# what is checked before anything is printed -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("06:30", (6, 30)), ("7:05", (7, 5)), ("23:59", (23, 59)), ("0:00", (0, 0))],
)
def test_a_time_of_day_is_hours_and_minutes(text: str, expected: tuple[int, int]) -> None:
    assert schedule.parse_at(text) == expected


@pytest.mark.parametrize("text", ["24:00", "6:60", "6", "6.30", "06:30:00", "six"])
def test_a_time_that_is_not_a_time_of_day_is_refused(text: str) -> None:
    with pytest.raises(ParameterError, match="is not a time of day of the form 06:30"):
        schedule.parse_at(text)


def test_a_pattern_must_name_a_plan_that_exists() -> None:
    assert schedule.plans_argument("stock*") == "stock*"
    with pytest.raises(ParameterError) as refused:
        schedule.plans_argument("stokton")
    assert "no plan in plans matches 'stokton'" in str(refused.value)
    assert "stockton" in str(refused.value)


def test_a_plan_file_is_scheduled_by_its_absolute_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(config.PLANS_DIR.parent.parent)
    assert schedule.plans_argument("plans/stockton.yml") == str(config.PLANS_DIR / "stockton.yml")
    with pytest.raises(PlanError, match="no such plan file"):
        schedule.plans_argument("plans/stokton.yml")


def test_the_program_is_the_csp_running_now_by_absolute_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("", encoding="utf-8")
    assert schedule.csp_program("/usr/lib/csp/__main__.py", str(python)) == (
        str(python),
        "-m",
        "csp",
    )
    (bin_dir / "csp").write_text("", encoding="utf-8")
    assert schedule.csp_program("/usr/lib/csp/__main__.py", str(python)) == (str(bin_dir / "csp"),)
    elsewhere = tmp_path / "other" / "csp"
    elsewhere.parent.mkdir()
    elsewhere.write_text("", encoding="utf-8")
    assert schedule.csp_program(str(elsewhere), str(python)) == (str(elsewhere),)


def test_only_csp_settings_are_carried_and_as_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    environ = {"CSP_REPORTS_DIR": "scratch/reports", "HOME": "/home/x", "CSP_KEY_FILE": ""}
    assert schedule.carried_environment(environ) == (
        ("CSP_REPORTS_DIR", str(tmp_path / "scratch" / "reports")),
    )


@pytest.mark.parametrize(
    ("plans", "name"),
    [
        ("cleveland-*", "csp-cleveland"),
        ("*", "csp-all"),
        ("city-of-london", "csp-city-of-london"),
        ("/srv/plans/stockton.yml", "csp-stockton"),
        ("a?b[cd]", "csp-a-b-cd"),
    ],
)
def test_the_units_are_named_for_the_plans(odd_project: Path, plans: str, name: str) -> None:
    assert odd_schedule(odd_project, plans=plans).name == name


def test_what_no_scheduler_can_take_whole_is_refused(odd_project: Path) -> None:
    with pytest.raises(ParameterError, match="no control characters"):
        schedule.check_printable(odd_schedule(odd_project, plans="cleveland-*\nrm -rf ~"))
    with pytest.raises(ParameterError, match="holds a quote"):
        schedule.check_printable(odd_schedule(odd_project, program=("/opt/it's/csp",)))


def test_a_missing_extracts_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="no extracts folder"):
        schedule.schedule_for(
            "stockton", raw_dir=str(tmp_path / "nowhere"), argv0="csp", python="python", environ={}
        )


# cron ---------------------------------------------------------------------------------------------


def cron_reads(line: str) -> tuple[str, str, str]:
    """(schedule, command, input) as Vixie cron reads a crontab line: five fields, then the command,
    whose first unescaped `%` ends it (the rest is its input, `%` read as newlines), `\\%` a `%`."""
    fields = line.split(None, 5)
    command: list[str] = []
    escaped = False
    for at, char in enumerate(fields[5]):
        if escaped and char == "%":
            command[-1] = "%"
        elif not escaped and char == "%":
            return " ".join(fields[:5]), "".join(command), fields[5][at + 1 :]
        else:
            command.append(char)
        escaped = not escaped and char == "\\"
    return " ".join(fields[:5]), "".join(command), ""


def test_the_cron_schedule_is_each_day_at_the_time(odd_project: Path) -> None:
    when, _, _ = cron_reads(schedule.crontab_line(odd_schedule(odd_project)))
    assert croniter.is_valid(when)
    runs = croniter(when, dt.datetime(2025, 3, 31, 7, 0))
    assert [runs.get_next(dt.datetime) for _ in range(2)] == [
        dt.datetime(2025, 4, 1, 6, 5),
        dt.datetime(2025, 4, 2, 6, 5),
    ]


def test_the_cron_command_starts_csp_in_the_project_with_its_words_intact(
    odd_project: Path, tmp_path: Path
) -> None:
    """The command as cron hands it to /bin/sh, run: csp gets its arguments, folder and settings
    exactly, and its output goes to the log."""
    planned = odd_schedule(odd_project)
    line = schedule.crontab_line(planned)
    assert "\n" not in line
    _, command, given = cron_reads(line)
    assert given == ""  # no `%` ended the command early
    record = tmp_path / "record.json"
    env = {"PATH": "/usr/bin:/bin", "RECORD": str(record)}  # cron's bare environment
    subprocess.run(["/bin/sh", "-c", command], cwd="/", env=env, check=True, timeout=60)
    started = json.loads(record.read_text(encoding="utf-8"))
    assert started["argv"] == [
        "run",
        "--plan",
        "cleveland-*",
        "--latest",
        "--raw-dir",
        str(planned.raw_dir),
    ]
    assert started["argv"] == planned.command()[1:]
    assert started["cwd"] == str(odd_project)
    assert started["env"]["CSP_REPORTS_DIR"] == str(odd_project / "reports 50%")
    assert planned.log_file.read_text(encoding="utf-8") == "started\n"


def test_the_cron_command_runs_python_dash_m_csp_when_there_is_no_script(odd_project: Path) -> None:
    planned = odd_schedule(odd_project, program=("/usr/bin/python3", "-m", "csp"), environment=())
    _, command, _ = cron_reads(schedule.crontab_line(planned))
    assert re.search(r"&& /usr/bin/python3 -m csp run --plan 'cleveland-\*' --latest ", command)


# systemd ------------------------------------------------------------------------------------------


def read_unit(text: str) -> configparser.ConfigParser:
    """A unit file's sections and keys (keys kept as written; `%` is systemd's, not configparser's)."""
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment]
    parser.read_string(text)
    return parser


def systemd_words(line: str) -> list[str]:
    """ExecStart= split as systemd splits it: words apart at blanks, double quotes with `\\"` and
    `\\\\`, then `%%` a `%` and, in the arguments, `$$` a `$`."""
    words = [
        re.sub(r"\\(.)", r"\1", quoted) if quoted else plain
        for quoted, plain in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', line)
    ]
    words = [word.replace("%%", "%") for word in words]
    return words[:1] + [word.replace("$$", "$") for word in words[1:]]


def test_the_service_starts_csp_in_the_project_with_its_words_intact(odd_project: Path) -> None:
    planned = odd_schedule(odd_project)
    unit = read_unit(schedule.service_unit(planned))
    assert unit.sections() == ["Unit", "Service"]
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["WorkingDirectory"].replace("%%", "%") == str(odd_project)
    assert systemd_words(service["ExecStart"]) == planned.command()
    assert systemd_words(service["Environment"]) == [
        f"CSP_REPORTS_DIR={odd_project / 'reports 50%'}"
    ]


def test_the_timer_runs_the_service_each_day_and_catches_up(odd_project: Path) -> None:
    unit = read_unit(schedule.timer_unit(odd_schedule(odd_project)))
    assert unit.sections() == ["Unit", "Timer", "Install"]
    assert unit["Timer"]["OnCalendar"] == "*-*-* 06:05:00"
    assert unit["Timer"]["Persistent"] == "true"
    assert unit["Install"]["WantedBy"] == "timers.target"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip(
            "systemd-analyze is not installed: the units are checked by their structure only"
        )
    return found


def test_systemd_reads_the_calendar_as_each_day_at_the_time(odd_project: Path) -> None:
    when = schedule.on_calendar(odd_schedule(odd_project))
    done = subprocess.run(
        [systemd_analyze(), "calendar", "--iterations=2", when],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Normalized form: *-*-* 06:05:00" in done.stdout
    assert re.search(r"Iter\. #2: .* 06:05:00", done.stdout)


def verify(folder: Path, planned: Schedule, service: str) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify on the two units as saved: it parses them as systemd would and
    checks that ExecStart= names an executable that is there."""
    (folder / f"{planned.name}.service").write_text(service, encoding="utf-8")
    (folder / f"{planned.name}.timer").write_text(schedule.timer_unit(planned), encoding="utf-8")
    units = [str(folder / f"{planned.name}.{kind}") for kind in ("service", "timer")]
    return subprocess.run(
        [systemd_analyze(), "verify", *units],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )


def test_systemd_verifies_the_units(odd_project: Path, tmp_path: Path) -> None:
    planned = odd_schedule(odd_project)
    folder = tmp_path / "units"
    folder.mkdir()
    done = verify(folder, planned, schedule.service_unit(planned))
    assert done.returncode == 0, done.stderr
    # The check has teeth: the same program unquoted is a path systemd cannot find.
    program = planned.program[0]
    quoted = schedule.systemd_quoted(program, variables=False)
    broken = schedule.service_unit(planned).replace(quoted, program.replace("%", "%%"))
    refused = verify(folder, planned, broken)
    assert refused.returncode != 0
    assert "is not executable" in refused.stderr


# the command ----------------------------------------------------------------------------------------


def test_csp_schedule_prints_both_ways_and_installs_nothing(
    capsys: Captured, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(["schedule", "--plan", "stock*", "--at", "05:45"]) == 0
    out = capsys.readouterr().out
    cron = [line for line in out.splitlines() if line.startswith("45 5 * * * ")]
    assert len(cron) == 1
    assert "run --plan 'stock*' --latest" in cron[0]
    assert "ExecStart=" in out and "OnCalendar=*-*-* 05:45:00" in out
    assert "systemctl --user enable --now csp-stock.timer" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("which", ["cron", "service", "timer"])
def test_csp_schedule_only_prints_one_part_as_it_is_saved(capsys: Captured, which: str) -> None:
    assert cli.main(["schedule", "--plan", "stockton", "--only", which]) == 0
    out = capsys.readouterr().out
    assert not out.startswith("#")
    if which == "cron":
        assert out.count("\n") == 1 and croniter.is_valid(cron_reads(out)[0])
    else:
        assert read_unit(out).sections()[0] == "Unit"


def test_the_command_offers_the_parts_there_are() -> None:
    assert sorted(schedule.PARTS) == cli.SCHEDULE_PARTS


def test_the_instructions_say_when_it_will_run_next(odd_project: Path) -> None:
    text = schedule.instructions(odd_schedule(odd_project), dt.datetime(2025, 3, 31, 7, 0))
    assert "next runs: Tue 01 Apr 2025 06:05, Wed 02 Apr 2025 06:05." in text


def test_csp_schedule_answers_a_typo_in_one_line(capsys: Captured) -> None:
    assert cli.main(["schedule", "--plan", "clevland-*"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("csp: error: no plan in plans matches 'clevland-*'")
    assert captured.err.count("\n") == 1


def test_a_pattern_over_a_folder_of_plan_files_is_scheduled_as_csp_run_matches_it(
    tmp_path: Path,
) -> None:
    """`csp run --plan '/srv/plans/cleveland-*.yml'` runs every plan file there: the schedule takes
    the same pattern, made absolute, and refuses one that names no file."""
    (tmp_path / "plans").mkdir()
    shutil.copy(config.PLANS_DIR / "stockton.yml", tmp_path / "plans" / "north-a.yml")
    pattern = str(tmp_path / "plans" / "north-*.yml")
    assert schedule.plans_argument(pattern) == pattern
    with pytest.raises(CspError, match="no plan matches the pattern"):
        schedule.plans_argument(str(tmp_path / "plans" / "south-*.yml"))
