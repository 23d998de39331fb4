"""A status and how readers see it: the one vocabulary the engine judges in and the report, the
workbook and the peers read (they never import the engine)."""

ON_TRACK, OFF_TRACK, NO_DATA, AMBER = "on_track", "off_track", "no_data", "amber"
STATUS_LABELS = {
    ON_TRACK: "On track",
    AMBER: "Near target",
    OFF_TRACK: "Off track",
    NO_DATA: "No data",
}
