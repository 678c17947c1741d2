""""What you would have to believe": tornado charts and plain sentences from a sensitivity result.

Plain data in (the ``sensitivity`` JSON object), figures and report sections out. One
tornado chart per headline verdict (each threat's "defended", the Russian question's
"engageable"): a bar per parameter from the figure's value at the parameter's low end to
its value at the high end, around the scenario's value; bars whose verdict flips are red
and carry the flip value.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Mapping

from .plots import _style_axes, new_figure
from .plots import value_text as _value_text

FLIP_COLOR = "#c0392b"
MOVE_COLOR = "#7f8c8d"
MAX_BARS = 10
VERDICT_TITLES = {"defended": "Is {name} defended?", "engageable": "Are Russian ICBMs flying to the US engageable?"}
SKIPPED = "Not computed (skipped): the run left out its key assumptions (`--skip key_assumptions`)."


def verdict_figures(data: Mapping[str, Any]) -> list[dict]:
    """The figures that carry a verdict, Russian question first."""
    figs = [f for f in data.get("figures", []) if f.get("verdict")]
    return sorted(figs, key=lambda f: f["figure"] != "russian_pairs_engageable")


def title_of(fig: Mapping[str, Any], reach_question: str | None = None) -> str:
    """The verdict as a question; ``reach_question`` words the reach verdict for the scenario
    (its batteries, launch sites and targets) instead of the 2007 default."""
    name = fig["figure"].split(":", 1)[-1]
    if fig["verdict"]["name"] == "engageable" and reach_question:
        return reach_question
    return VERDICT_TITLES.get(fig["verdict"]["name"], "{name}").format(name=name)


def plot_tornado(fig_data: Mapping[str, Any], max_bars: int = MAX_BARS, title: str | None = None):
    """Horizontal bars: the figure at each parameter's low and high end, base value as the axis."""
    drivers = list(fig_data.get("drivers") or [])[:max_bars]
    base = float(fig_data["value"])
    height = 1.2 + 0.42 * max(1, len(drivers))
    fig = new_figure(8.0, height)
    ax = fig.subplots()
    if not drivers:
        ax.text(0.5, 0.5, "no parameter moves this figure across its range", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        ax.set_yticks([])
    for row, d in enumerate(reversed(drivers)):
        lv, hv = d.get("low_value"), d.get("high_value")
        color = FLIP_COLOR if d.get("flips") else MOVE_COLOR
        for v, hatch in ((lv, None), (hv, "//")):
            if v is None:
                continue
            ax.barh(row, float(v) - base, left=base, color=color, alpha=0.85 if hatch is None else 0.45,
                    hatch=hatch, edgecolor="white", height=0.6)
        if d.get("flips") and d.get("flip_at") is not None:
            ax.text(1.0, row, f" flips at {_value_text(d['flip_at'])}", va="center", fontsize=8, color=FLIP_COLOR,
                    transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(drivers)))
    rng = [d.get("range") or [None, None] for d in reversed(drivers)]
    ax.set_yticklabels([f"{d['parameter']}  [{_value_text(r[0])}\u2013{_value_text(r[1])}]"
                        for d, r in zip(reversed(drivers), rng)], fontsize=8)
    ax.axvline(base, color="#1b2631", linewidth=1.2)
    ax.set_xlabel(f"{fig_data['figure']} (scenario value {base:g}; solid: low end, hatched: high end)", fontsize=9)
    _style_axes(ax)
    fig.suptitle(title or title_of(fig_data), fontsize=11)
    return fig


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")


def write_tornados(out: str | Path, data: Mapping[str, Any]) -> list[str]:
    """One SVG tornado chart per headline verdict in ``out``, written atomically; their file names."""
    from ..io import atomic_write_text
    from .html import fig_to_svg

    names = []
    for f in verdict_figures(data):
        name = f"tornado-{_slug(f['figure'].replace(':', '-'))}.svg"
        atomic_write_text(Path(out) / name, fig_to_svg(plot_tornado(f)))
        names.append(name)
    return names


def sentences(fig_data: Mapping[str, Any]) -> list[str]:
    return [d["sentence"] for d in fig_data.get("drivers", []) if d.get("flips") and d.get("sentence")]


def sensitivity_section(data: Mapping[str, Any] | None, scenario: str, *, reach_question: str | None = None,
                        skipped: bool = False, notes: list[str] | None = None) -> dict:
    """The report's first section, "What you would have to believe".

    ``reach_question`` words the reach verdict for this scenario; ``skipped``: the run left
    the key assumptions out; ``notes``: small print added under the charts. The tornado
    charts are also under ``files`` as ``(name, Figure)`` for ``html.save_figures``."""
    heading = "What you would have to believe"
    if skipped and not data:
        return {"heading": heading, "text": SKIPPED, "files": []}
    if not data:
        return {"heading": heading, "files": [],
                "text": "Each verdict below rests on assumptions with published ranges. This run did not compute "
                        "their sensitivity (an OAT over every parameter takes minutes). To fill this section, run "
                        f"`shieldsim sensitivity {scenario} -o DIR` into this report's directory and rerun "
                        "`shieldsim run` (it reads DIR/sensitivity.json)."}
    from .html import _figure_alt, fig_to_data_uri

    parts, files = [], []
    for f in verdict_figures(data):
        says = sentences(f)
        verdict = f["verdict"]
        now = ("yes" if verdict["base"] else "no")
        items = "".join(f"<li>{html.escape(s)}</li>" for s in says) or \
            "<li>No parameter flips it anywhere in its range.</li>"
        title = title_of(f, reach_question)
        chart = plot_tornado(f, title=title)
        files.append((f"tornado-{_slug(f['figure'].replace(':', '-'))}", chart))
        img = f'<figure><img src="{fig_to_data_uri(chart)}" alt="{html.escape(_figure_alt(chart), quote=True)}"></figure>'
        parts.append(f"<h3>{html.escape(title)} With the scenario's values: {now}.</h3>{img}<ul>{items}</ul>")
    text = (f"Every assumption moved to the ends of its published range, one at a time ({data.get('method', 'oat')}, "
            f"{len(data.get('parameters', []))} parameters, footprint at {data.get('resolution_deg', '?')}\u00b0). "
            "Each sentence names a value at which a verdict flips; replay it with `--set PATH=VALUE`. "
            "Red bars flip the verdict, grey ones only move the figure.")
    skipped_params = data.get("skipped") or []
    small = list(notes or [])
    if skipped_params:
        small.append("Not varied: " + "; ".join(f"{s['parameter']} ({s['reason']})" for s in skipped_params))
    sec = {"heading": heading, "text": text, "html": "".join(parts), "files": files}
    if small:
        sec["notes"] = " ".join(small)
    return sec


def top_driver(data: Mapping[str, Any] | None, figure: str) -> dict | None:
    """The assumption a figure rests on most: its first driver (verdict flips first, then the
    largest swing), with the parameter's label and range; None if nothing moves it."""
    if not data:
        return None
    fig = next((f for f in data.get("figures", []) if f["figure"] == figure), None)
    if not fig or not fig.get("drivers"):
        return None
    d = dict(fig["drivers"][0])
    p = next((p for p in data.get("parameters", []) if p["parameter"] == d["parameter"]), {})
    d["label"] = p.get("label") or d["parameter"]
    d["unit"] = p.get("unit", "")
    d["figure_value"] = fig["value"]
    return d


def load_for_report(directory: str | Path, scenario_name: str) -> dict | None:
    """DIR/sensitivity.json when it belongs to this scenario (and is an OAT), else None."""
    import json

    path = Path(directory) / "sensitivity.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("scenario") == scenario_name and data.get("figures") else None
