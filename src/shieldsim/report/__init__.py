"""The human-readable outputs: maps, charts, and the one-file HTML report.

Plain data in (numpy arrays, lists of dicts), matplotlib figures and HTML out; nothing
here imports the physics. Maps draw on the vendored Natural Earth outlines and never
touch the network.
"""

from shieldsim.report.html import build_report, fig_to_data_uri, fig_to_svg, write_report
from shieldsim.report.maps import base_map, plot_footprint, plot_ground_tracks
from shieldsim.report.plots import (
    plot_engagement_timeline,
    plot_raid_curves,
    plot_reach_table,
    plot_speed_flip,
    speed_flip,
)

__all__ = [
    "base_map",
    "build_report",
    "fig_to_data_uri",
    "fig_to_svg",
    "plot_engagement_timeline",
    "plot_footprint",
    "plot_ground_tracks",
    "plot_raid_curves",
    "plot_reach_table",
    "plot_speed_flip",
    "speed_flip",
    "write_report",
]
