"""The HTML report: one self-contained file a journalist can open, read, and mail on.

Everything is inside the one file: figures as PNG data URIs (or inline SVG), CSS in a
``<style>`` element, no scripts, no fonts, no links to files or to the network. The page
is built from plain data (paragraphs, sections with figures and tables, the
assumptions with their sources) and checked before it is returned: a reference to
anything outside the file is an error, not a silent broken image.

Table headings come from the field names of the output contract, units spelled out:
``intercept_altitude_km`` becomes "Intercept altitude (km)", ``closing_speed_km_s``
"Closing speed (km/s)". "Never" (``None``, NaN) is shown as an em dash.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from shieldsim.io import atomic_write_bytes, atomic_write_text
from shieldsim.validate import is_number

__all__ = [
    "build_report",
    "check_self_contained",
    "column_heading",
    "figure_texts",
    "fig_to_data_uri",
    "fig_to_svg",
    "format_value",
    "html_table",
    "save_figures",
    "write_report",
]

#: Field-name suffix → unit shown in table headings (longest suffix wins).
UNIT_SUFFIXES: dict[str, str] = {
    "_km_s": "km/s",
    "_m_s": "m/s",
    "_kg_m2": "kg/m²",
    "_km2": "km²",
    "_m2": "m²",
    "_km": "km",
    "_m": "m",
    "_s": "s",
    "_min": "min",
    "_deg": "°",
    "_kg": "kg",
    "_pct": "%",
    "_g": "g",
}
#: Words that keep their capitals (or get them) in headings.
_HEADING_WORDS = {"p": "P", "icbm": "ICBM", "irbm": "IRBM", "gbi": "GBI", "rcs": "RCS", "sspk": "SSPK",
                  "ir": "IR", "id": "ID", "lat": "Latitude", "lon": "Longitude", "alt": "Altitude"}

CSS = """
:root { --ink: #1c1c1c; --muted: #5d6d7e; --rule: #d5d8dc; --accent: #1f4e9c; --paper: #ffffff;
        --shade: #f4f6f7; }
* { box-sizing: border-box; }
html { background: var(--paper); }
body { margin: 0 auto; max-width: 52rem; padding: 2.5rem 1.25rem 4rem; color: var(--ink);
       font: 17px/1.6 Georgia, "Times New Roman", Times, serif; }
h1, h2, h3, th, caption, figcaption, .meta, .toc, table, .small {
       font-family: "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.35rem; margin: 2.6rem 0 .6rem; padding-top: .6rem; border-top: 1px solid var(--rule); }
p { margin: 0 0 1rem; }
.subtitle { font-size: 1.15rem; color: var(--muted); margin: 0 0 .8rem; }
.meta { font-size: .8rem; color: var(--muted); margin-bottom: 1.6rem; }
.summary { background: var(--shade); border-left: 4px solid var(--accent); padding: 1rem 1.25rem .2rem;
           margin: 1.5rem 0 2rem; }
.toc { font-size: .9rem; margin: 0 0 2rem; }
.toc ol { margin: .3rem 0 0 1.2rem; padding: 0; }
.toc a { color: var(--accent); text-decoration: none; }
figure { margin: 1.5rem 0; }
figure img, figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: .4rem; }
.table-wrap { overflow-x: auto; margin: 1.2rem 0 1.6rem; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
caption { caption-side: top; text-align: left; font-weight: 600; margin-bottom: .4rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
th { background: var(--shade); font-weight: 600; border-bottom: 2px solid #aab7b8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfcfc; }
.source { color: var(--muted); word-break: break-word; }
.source a { color: var(--accent); text-decoration: none; }
ol.sources { font-size: .85rem; padding-left: 1.6rem; }
ol.sources li { margin-bottom: .35rem; }
ol.sources .url { word-break: break-all; }
.small { font-size: .8rem; color: var(--muted); }
footer { margin-top: 3rem; padding-top: .8rem; border-top: 1px solid var(--rule); }
@media print { body { max-width: none; font-size: 11pt; } h2 { break-after: avoid; }
               figure, tr { break-inside: avoid; } }
"""


def fig_to_data_uri(fig: Figure, fmt: str = "png", dpi: float | None = None) -> str:
    """A figure as a ``data:`` URI: ``data:image/png;base64,...`` (or ``image/svg+xml``)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"fig_to_data_uri: fmt must be 'png' or 'svg', not {fmt!r}")
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    mime = "image/png" if fmt == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def fig_to_svg(fig: Figure) -> str:
    """A figure as inline ``<svg>`` markup (no XML prolog, no DOCTYPE, no date)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, facecolor="white")
    text = buffer.getvalue()
    start = text.find("<svg")
    if start < 0:
        raise ValueError("fig_to_svg: matplotlib produced no <svg> element")
    return text[start:].strip()


def figure_texts(fig: Figure) -> list[str]:
    """The words and numbers drawn on a figure's axes (texts and annotations, not tick labels,
    titles or legends), each once, in drawing order."""
    out: list[str] = []
    for ax in fig.axes:
        for t in ax.texts:
            text = " ".join(t.get_text().split())
            if text and text not in out:
                out.append(text)
    for t in fig.texts:
        text = " ".join(t.get_text().split())
        if text and text not in out and text != (fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""):
            out.append(text)
    return out


def _figure_alt(fig: Figure) -> str:
    """A figure's title, then what is written on it: the alternative text a screen reader
    reads, and where a reader of the page's source finds the charts' annotated numbers."""
    texts = figure_texts(fig)
    title = _figure_title(fig)
    if not texts:
        return title
    return title + ("" if title.endswith((".", "?", "!")) else ".") + " Marked on the chart: " + "; ".join(texts)


def save_figures(figures, directory: str | os.PathLike[str], formats=("png",)) -> list[str]:
    """Write each ``(name, Figure)`` as ``directory/NAME.FORMAT`` for every format (png, svg,
    pdf), atomically, without dates so reruns give the same files; returns the paths written,
    relative to ``directory``'s parent."""
    directory = Path(directory)
    written = []
    if not figures or not formats:
        return written
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}
    for name, fig in figures:
        for fmt in formats:
            path = directory / f"{name}.{fmt}"
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, metadata=metadata.get(fmt), facecolor="white")
            atomic_write_bytes(path, buffer.getvalue())
            written.append(f"{directory.name}/{path.name}")
    return written


def _figure_title(fig: Figure) -> str:
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if not title:
        for ax in fig.axes:
            if ax.get_title():
                return ax.get_title()
    return title or "figure"


def column_heading(key: str) -> str:
    """``"intercept_altitude_km"`` → ``"Intercept altitude (km)"``; unknown suffixes kept as words."""
    unit = None
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if key.endswith(suffix) and len(key) > len(suffix):
            unit, key = UNIT_SUFFIXES[suffix], key[: -len(suffix)]
            break
    words = [w for w in re.split(r"[_\s]+", key) if w]
    words = [_HEADING_WORDS.get(w.lower(), w) for w in words]
    if words and words[0] == words[0].lower():
        words[0] = words[0][:1].upper() + words[0][1:]
    text = " ".join(words)
    return f"{text} ({unit})" if unit else text


def _is_stated(value: Any) -> bool:
    """A ``shieldsim.analyses.numbers.Number``: a figure rounded and written once, shown as is."""
    return hasattr(value, "digits") and hasattr(value, "unit") and hasattr(value, "key")


def _is_number(value: Any) -> bool:
    return _is_stated(value) or is_number(value)


def format_value(value: Any) -> str:
    """A cell's text: numbers to 3–4 significant figures (no trailing zeros), ``None``/NaN
    as an em dash, bools as yes/no, a pair of numbers as a range "a – b"."""
    if value is None:
        return "—"
    if _is_stated(value):
        return value.digits
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "—"
        a = abs(v)
        if a == 0:
            return "0"
        if a >= 10000:
            return f"{v:,.0f}"
        if a >= 100:
            return f"{v:.0f}"
        if a >= 10:
            text = f"{v:.1f}"
        elif a >= 1:
            text = f"{v:.2f}"
        else:
            return f"{v:.3g}"
        return text.rstrip("0").rstrip(".")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, Mapping):
        if "value" in value and set(value) <= {"value", "low", "high", "source", "unit"}:
            return _format_estimate(value)
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and all(v is None or _is_number(v) for v in value):
            return f"{format_value(value[0])} – {format_value(value[1])}"
        return ", ".join(format_value(v) for v in value)
    return str(value)


def _format_estimate(entry: Mapping[str, Any]) -> str:
    text = format_value(entry.get("value"))
    if entry.get("unit"):
        text += f" {entry['unit']}"
    low, high = entry.get("low"), entry.get("high")
    if low is not None or high is not None:
        text += f" (range {format_value(low)} – {format_value(high)})"
    return text


def html_table(
    rows: Sequence[Mapping[str, Any]],
    caption: str | None = None,
    columns: Mapping[str, str] | Sequence[str] | None = None,
) -> str:
    """An HTML ``<table>`` from a list of dicts.

    Columns are the keys in order of first appearance, or ``columns`` (a list of keys,
    or a dict key → heading). Headings carry units (``column_heading``); numeric
    columns are right-aligned; missing keys and ``None`` show as an em dash.
    """
    rows = list(rows)
    if isinstance(columns, Mapping):
        keys, headings = list(columns), [str(h) for h in columns.values()]
    else:
        keys = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
        headings = [column_heading(str(k)) for k in keys]
    numeric = {k: all(r.get(k) is None or _is_number(r.get(k)) for r in rows)
               and any(_is_number(r.get(k)) for r in rows) for k in keys}
    parts = ['<div class="table-wrap"><table>']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>")
    for k, h in zip(keys, headings):
        cls = ' class="num"' if numeric[k] else ""
        parts.append(f'<th scope="col"{cls}>{html.escape(h)}</th>')
    parts.append("</tr></thead><tbody>")
    for r in rows:
        parts.append("<tr>")
        for k in keys:
            cls = ' class="num"' if numeric[k] else ""
            v = r.get(k)
            if _is_stated(v) and v.key:  # a headline figure: marked, so a reader (or a test) finds each one
                cls += f' data-figure="{html.escape(v.key, quote=True)}"'
            parts.append(f"<td{cls}>{html.escape(format_value(v))}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    return "".join(f"<p>{html.escape(b)}</p>" for b in blocks)


def _figure_html(item: Any, index: int, fmt: str) -> str:
    caption = alt = None
    if isinstance(item, Mapping):
        caption, alt = item.get("caption"), item.get("alt")
        item = item["figure"]
    if isinstance(item, Figure):
        alt = alt or _figure_alt(item)
        body = (fig_to_svg(item) if fmt == "svg"
                else f'<img src="{fig_to_data_uri(item)}" alt="{html.escape(alt, quote=True)}">')
    elif isinstance(item, (str, os.PathLike)):
        body = _embed_string_figure(item, alt or caption or f"figure {index}")
    else:
        raise TypeError(f"figure {index}: expected a matplotlib Figure, a data URI, inline SVG or an "
                        f"image file, not {type(item).__name__}")
    cap = f"<figcaption>{html.escape(str(caption))}</figcaption>" if caption else ""
    return f'<figure id="figure-{index}">{body}{cap}</figure>'


_IMAGE_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
               ".gif": "image/gif", ".webp": "image/webp"}


def _embed_string_figure(item: str | os.PathLike[str], alt: str) -> str:
    """A data URI or inline SVG as given; an image file path is read and embedded."""
    alt_attr = html.escape(alt, quote=True)
    if isinstance(item, str):
        stripped = item.lstrip()
        if stripped.startswith("data:image/"):
            return f'<img src="{html.escape(stripped, quote=True)}" alt="{alt_attr}">'
        if stripped.startswith("<?xml") or stripped.startswith("<svg") or stripped.startswith("<!DOCTYPE svg"):
            start = stripped.find("<svg")
            if start < 0:
                raise ValueError("inline SVG figure has no <svg> element")
            return stripped[start:]
    path = Path(item)
    mime = _IMAGE_MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        raise ValueError(f"figure {str(item)[:60]!r} is neither a data URI, inline SVG nor an image file")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{alt_attr}">'


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


class _Citations:
    """Numbers the bibliography keys cited in the assumptions table, in order of first use.

    A source's ``[@key]`` groups (parsed by ``shieldsim.catalog``, the one parser) become
    ``[n]`` links to the numbered list of full citations under the table; everything else
    in the source is escaped text. A key that is not in the bibliography stays as text.
    """

    def __init__(self) -> None:
        from shieldsim import catalog

        self._catalog = catalog
        self._bibliography = catalog.sources_by_key()
        self.cited: dict[str, dict] = {}

    def source_html(self, source: str) -> str:
        marks: list[str] = []

        def mark(keys: list[str]) -> str:
            links = []
            for key in keys:
                entry = self._bibliography.get(key)
                if entry is None:
                    links.append(html.escape(key))
                    continue
                self.cited.setdefault(key, entry)
                n = list(self.cited).index(key) + 1
                links.append(f'<a href="#source-{html.escape(key, quote=True)}">{n}</a>')
            marks.append("[" + ", ".join(links) + "]")
            return f"\x00{len(marks) - 1}\x00"

        text = html.escape(self._catalog.replace_citations(source, mark))
        return re.sub("\x00(\\d+)\x00", lambda m: marks[int(m.group(1))], text)

    def list_html(self) -> str:
        if not self.cited:
            return ""
        items = []
        for key, c in self.cited.items():
            text = f"{html.escape(c['author'])} ({html.escape(c['year'])}). <cite>{html.escape(c['title'])}</cite>."
            if c.get("published"):
                text += f" {html.escape(c['published'].rstrip('.'))}."
            if c.get("url"):
                text += f' <span class="url">{html.escape(c["url"])}</span>'
            text += (f' <span class="small">({html.escape(c["reliability"])}: '
                     f"{html.escape(' '.join(c['read'].split()))})</span>")
            items.append(f'<li id="source-{html.escape(key, quote=True)}">{text}</li>')
        return ('<h3 id="assumption-sources">Sources</h3><ol class="sources">' + "".join(items) + "</ol>"
                '<p class="small">Reliability: read = read in that publication (sometimes in a summary or a '
                "mirror, as noted); recalled = recalled from it, not re-read; computed or notional = shieldsim's "
                "own computation or assumption, described in the entry.</p>")


def _assumption_rows(assumptions: Sequence[Mapping[str, Any]]) -> str:
    has_range = any(isinstance(a.get("value"), Mapping) and ("low" in a["value"] or "high" in a["value"])
                    or "low" in a or "high" in a for a in assumptions)
    head = ["Parameter", "Value"] + (["Range"] if has_range else []) + ["Source"]
    parts = ['<div class="table-wrap"><table class="assumptions"><thead><tr>']
    parts += [f'<th scope="col">{h}</th>' for h in head]
    parts.append("</tr></thead><tbody>")
    cites = _Citations()
    for a in assumptions:
        value = a.get("value")
        low, high = a.get("low"), a.get("high")
        source = a.get("source")
        if isinstance(value, Mapping):
            low, high = value.get("low", low), value.get("high", high)
            source = source or value.get("source")
            value = value.get("value")
        value_text = format_value(value) + (f" {a['unit']}" if a.get("unit") else "")
        cells = [html.escape(column_heading(str(a.get("parameter", "")))) if "_" in str(a.get("parameter", ""))
                 else html.escape(str(a.get("parameter", ""))), html.escape(value_text)]
        if has_range:
            cells.append(html.escape("" if low is None and high is None
                                     else f"{format_value(low)} – {format_value(high)}"))
        cells.append(f'<span class="source">{cites.source_html(str(source)) if source else "—"}</span>')
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</tbody></table></div>")
    parts.append(cites.list_html())
    return "".join(parts)


def _page_head(title: str, subtitle: str | None, meta: str | None) -> list[str]:
    """The document head and the page header (title, subtitle, meta line); opens ``<main>``."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<header>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        out.append(f'<p class="subtitle">{html.escape(subtitle)}</p>')
    if meta:
        out.append(f'<p class="meta">{html.escape(meta)}</p>')
    out.append("</header><main>")
    return out


def _summary_html(summary_paragraphs: Sequence[str], summary_html: str | None) -> list[str]:
    """The boxed summary ("what we found"), or nothing."""
    if not (summary_paragraphs or summary_html):
        return []
    out = ['<section class="summary" id="answers" aria-label="Summary">']
    if summary_html:
        out.append(summary_html)
    out += [f"<p>{html.escape(p)}</p>" for p in summary_paragraphs]
    out.append("</section>")
    return out


def _contents_html(slugs: Sequence[str], sections: Sequence[Mapping[str, Any]], assumptions: bool) -> list[str]:
    """The table of contents, for three entries or more."""
    toc_entries = [(slug, str(s.get("heading", ""))) for slug, s in zip(slugs, sections)]
    if assumptions:
        toc_entries.append(("assumptions", "Assumptions and sources"))
    if len(toc_entries) < 3:
        return []
    return (['<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>']
            + [f'<li><a href="#{slug}">{html.escape(h)}</a></li>' for slug, h in toc_entries]
            + ["</ol></nav>"])


def _section_html(slug: str, section: Mapping[str, Any], figure_index: int,
                  figure_format: str) -> tuple[list[str], int]:
    """One section's markup (heading, text, html, figures, table, notes) and the running
    figure number after it."""
    out = [f'<section id="{slug}">', f"<h2>{html.escape(str(section.get('heading', '')))}</h2>"]
    if section.get("text"):
        out.append(_paragraphs(str(section["text"])))
    if section.get("html"):
        out.append(str(section["html"]))
    for item in section.get("figures") or ():
        figure_index += 1
        out.append(_figure_html(item, figure_index, figure_format))
    if section.get("table"):
        out.append(html_table(section["table"], section.get("table_caption"), section.get("columns")))
    if section.get("notes"):
        out.append(f'<p class="small">{html.escape(str(section["notes"]))}</p>')
    out.append("</section>")
    return out, figure_index


def build_report(
    title: str,
    summary_paragraphs: Sequence[str],
    sections: Sequence[Mapping[str, Any]],
    assumptions: Sequence[Mapping[str, Any]] = (),
    *,
    subtitle: str | None = None,
    meta: str | None = None,
    footer: str | None = None,
    figure_format: str = "png",
    summary_html: str | None = None,
) -> str:
    """One self-contained HTML page.

    Parameters
    ----------
    title : the page's headline.
    summary_paragraphs : plain-text paragraphs shown first, boxed ("what we found").
    summary_html : trusted markup shown in the box before them (the answers table).
    sections : each ``{heading, text | html, figures, table, ...}``:
        ``heading`` (str); ``text`` (plain, blank lines separate paragraphs) and/or
        ``html`` (trusted markup, must reference nothing outside the page);
        ``figures``: list of matplotlib ``Figure``, ``data:image/...`` URI, inline
        ``<svg>`` string, image file path, or ``{figure, caption, alt}``;
        ``table``: list of dicts or ``None``, with optional ``table_caption`` and
        ``columns`` (keys, or key → heading); ``notes``: plain small print after it.
    assumptions : ``[{parameter, value, source}]``, optionally ``unit``, ``low``,
        ``high``; ``value`` may be a catalog entry ``{value, low, high, source}``. A
        source's citations ``[@key]`` become numbered links to the full citations
        (author, year, title, where published, address) listed under the table.
    subtitle, meta, footer : optional lines under the title, in small print at the top,
        and at the bottom (e.g. version, scenario, seed). No timestamp is added, so the
        same inputs give the same page.
    figure_format : ``"png"`` (data URIs, default) or ``"svg"`` (inline).

    Raises ``ValueError`` if the page would load anything from outside itself.
    """
    if figure_format not in ("png", "svg"):
        raise ValueError(f"figure_format must be 'png' or 'svg', not {figure_format!r}")
    used: set[str] = set()
    slugs = [_slug(str(s.get("heading", f"Section {i + 1}")), used) for i, s in enumerate(sections)]
    out = _page_head(title, subtitle, meta)
    out += _summary_html(summary_paragraphs, summary_html)
    out += _contents_html(slugs, sections, bool(assumptions))
    figure_index = 0
    for slug, section in zip(slugs, sections):
        lines, figure_index = _section_html(slug, section, figure_index, figure_format)
        out += lines
    if assumptions:
        out.append('<section id="assumptions"><h2>Assumptions and sources</h2>')
        out.append('<p class="small">Every input the results depend on, with where it comes from. '
                   "Ranges are the spread of published estimates.</p>")
        out.append(_assumption_rows(assumptions))
        out.append("</section>")
    out.append("</main>")
    if footer:
        out.append(f'<footer class="small">{html.escape(footer)}</footer>')
    out.append("</body></html>")
    page = "\n".join(out) + "\n"
    problems = check_self_contained(page)
    if problems:
        raise ValueError("report is not self-contained: " + "; ".join(problems[:5]))
    return page


class _ReferenceFinder(HTMLParser):
    """Collects every attribute or CSS ``url()`` that would load something from outside."""

    URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "xlink:href", "action", "formaction",
                      "background", "codebase", "longdesc", "manifest", "ping"}
    FORBIDDEN_TAGS = {"script", "link", "iframe", "object", "embed", "base", "frame", "applet"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            if value is None:
                continue
            if name in self.URL_ATTRIBUTES and not _internal_reference(value):
                self.problems.append(f"<{tag} {name}={value[:80]!r}>")
            if name == "style":
                self._check_css(value, f"<{tag} style>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data, "<style>")

    def _check_css(self, css: str, where: str) -> None:
        for match in re.finditer(r"url\(\s*['\"]?([^'\")]*)", css):
            if not _internal_reference(match.group(1)):
                self.problems.append(f"{where} url({match.group(1)[:80]})")
        if re.search(r"@import", css):
            self.problems.append(f"{where} @import")


def _internal_reference(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or value.lower().startswith("data:")


def check_self_contained(page: str) -> list[str]:
    """Everything in ``page`` that refers outside it (files, network); empty if none."""
    finder = _ReferenceFinder()
    finder.feed(page)
    finder.close()
    return finder.problems


def write_report(
    path: str | os.PathLike[str],
    title: str,
    summary_paragraphs: Sequence[str],
    sections: Sequence[Mapping[str, Any]],
    assumptions: Sequence[Mapping[str, Any]] = (),
    **options: Any,
) -> Path:
    """``build_report`` and write the page to ``path`` atomically; returns the path."""
    return atomic_write_text(path, build_report(title, summary_paragraphs, sections, assumptions, **options))
