"""The bibliography ships with the project: catalog sources cite keys of
src/shieldsim/catalog/sources.yaml, never a file outside the repository.

- every source line of the catalog cites at least one key, and every cited key exists;
- no source line (and no catalog file, comments included) names a file outside the
  repository: the research notes the catalog was first written from (``parameters.md``,
  ``reference/``), absolute paths, or a file name that is not in the repository;
- every bibliography entry has author, title, year, reliability and what was read there;
  a key cited nowhere in the repository is reported as a warning (a bibliography may
  hold works the code or docs cite in prose; it should not hold dead entries);
- ``catalog show ss-27 --json`` (through the CLI) gives full, readable citations for every
  parameter; the plain ``catalog show`` numbers them and lists them;
- docs/sources.md is what tools/make_sources_md.py makes of sources.yaml;
- the report's assumptions table links each citation to the full reference, escaped and
  self-contained.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import warnings
from pathlib import Path

import pytest
import yaml

from shieldsim import catalog
from shieldsim.cli import main
from shieldsim.errors import ScenarioError
from shieldsim.report.html import build_report, check_self_contained

ROOT = Path(__file__).resolve().parents[1]
CATALOG_DIR = ROOT / "src" / "shieldsim" / "catalog"
BIB = catalog.sources_by_key()

# Names of the outside research notes and absolute locations a source must never point to.
OUTSIDE = re.compile(r"parameters\.md|(?<![\w.])reference/|shared/reference|/work/|~/|\bfile://", re.I)
URL = re.compile(r"(?:https?|ftp)://\S+")
ABSOLUTE_PATH = re.compile(r"(?:^|[\s(\"'\[,;])(/[\w.-]+){2,}|\b[A-Za-z]:\\")
FILE_NAME = re.compile(r"[\w./-]+\.(?:md|rst|txt|pdf|ya?ml|json|csv|py|html?|xlsx?|docx?)\b", re.I)


def _all_sources():
    """(where, source text) for every sourced mapping of every catalog entry."""
    for e in catalog.entries():
        for where, node in catalog.sourced_mappings(e, e["name"]):
            yield f"{where}.source", node["source"]


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def _repo_has(name: str) -> bool:
    """Whether a file name mentioned in a source exists in the repository."""
    name = name.strip("./")
    if (ROOT / name).exists() or (CATALOG_DIR / name).exists():
        return True
    return any(ROOT.glob(f"src/**/{Path(name).name}")) or any(ROOT.glob(f"docs/{Path(name).name}"))


# --- the catalog's source lines -----------------------------------------------------------
def test_every_catalog_source_cites_at_least_one_known_key():
    problems = []
    n = 0
    for where, text in _all_sources():
        n += 1
        try:
            keys = catalog.parse_citations(text, where, BIB)
        except ScenarioError as exc:
            problems.append(f"{where}: {exc.reason}")
            continue
        if not keys:
            problems.append(f"{where}: cites no key")
    assert n > 400, "fewer source lines than expected: did the walk miss some?"
    assert problems == []


def test_no_catalog_source_names_a_file_outside_the_repository():
    problems = []
    for where, text in _all_sources():
        bare = URL.sub(" ", text)
        if OUTSIDE.search(bare):
            problems.append(f"{where}: names {OUTSIDE.search(bare).group(0)!r}")
        if ABSOLUTE_PATH.search(bare):
            problems.append(f"{where}: absolute path {ABSOLUTE_PATH.search(bare).group(0).strip()!r}")
        for m in FILE_NAME.finditer(bare):
            if not _repo_has(m.group(0)):
                problems.append(f"{where}: names {m.group(0)!r}, which is not in the repository")
    assert problems == []


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in CATALOG_DIR.glob("*.yaml"))
                         + ["docs/sources.md", "tools/make_sources_md.py", "src/shieldsim/catalog/__init__.py",
                            "src/shieldsim/analyses/catalog_entry.py"])
def test_catalog_files_and_bibliography_name_no_outside_file(path):
    """Comments and docstrings too: the catalog and its bibliography stand on their own."""
    text = URL.sub(" ", (ROOT / path).read_text(encoding="utf-8"))
    found = [m.group(0) for m in OUTSIDE.finditer(text)]
    assert found == [], f"{path} points outside the repository: {found}"


def test_the_checks_catch_outside_files_and_absolute_paths():
    """The patterns above find what they are meant to find, and let URLs and prose through."""
    assert OUTSIDE.search("about 16 t (parameters.md B.1)")
    assert OUTSIDE.search("see reference/parameters.md section E")
    assert ABSOLUTE_PATH.search("the notes in /work/shared/notes.txt")
    assert not ABSOLUTE_PATH.search(URL.sub(" ", "https://example.org/a/b [@x]"))
    assert not ABSOLUTE_PATH.search("(c/2B)/sqrt(2·SNR); λ/D = 0.03 m / 11.6 m")
    assert not _repo_has("notes-nobody-shipped.md") and _repo_has("docs/sources.md")


# --- the bibliography -----------------------------------------------------------------------
def test_every_bibliography_entry_is_complete_and_readable():
    raw = yaml.safe_load((CATALOG_DIR / catalog.SOURCES_FILE).read_text(encoding="utf-8"))
    assert len(raw) == len(BIB) >= 60
    for key, c in BIB.items():
        assert set(c) == set(catalog.SOURCE_FIELDS), key
        for field in ("author", "title", "year", "reliability", "read"):
            assert isinstance(c[field], str) and c[field].strip(), f"{key}.{field}"
        assert re.fullmatch(r"\d{4}|n\.d\.", c["year"]), key
        assert c["reliability"] in catalog.RELIABILITY, key
        assert c["url"] is None or re.match(r"https?://", c["url"]), key
        assert len(c["read"]) >= 15, f"{key}: say what was read there"
        assert not OUTSIDE.search(URL.sub(" ", " ".join(str(v) for v in c.values()))), key
        if c["author"] == "shieldsim":
            assert key.startswith("shieldsim-") and c["reliability"] in ("computed", "notional", "recalled", "read")


def test_unused_bibliography_keys_are_reported():
    """A key cited neither by the catalog nor as [@key] anywhere in the repository's code,
    tests or documentation is dead weight: reported as a warning, not a failure, so a key
    can land before the prose that will cite it."""
    used = {k for _, text in _all_sources() for k in catalog.parse_citations(text)}
    texts = [p for d in ("src", "tests", "docs", "tools") for p in (ROOT / d).rglob("*")
             if p.suffix in (".py", ".md", ".yaml", ".yml") and p.name != "sources.md"
             and p.name != catalog.SOURCES_FILE and "__pycache__" not in p.parts]
    texts.append(ROOT / "README.md")
    for p in texts:
        for m in catalog.CITE_RE.finditer(p.read_text(encoding="utf-8", errors="replace")):
            used |= {part.strip().lstrip("@") for part in m.group(1).split(";")}
    unused = sorted(set(BIB) - used)
    if unused:
        warnings.warn(f"sources.yaml keys cited nowhere: {', '.join(unused)}", UserWarning, stacklevel=1)
    assert len(unused) < len(BIB) / 10, f"most of the bibliography is unused: {unused}"


def test_docs_sources_md_is_generated_from_the_bibliography():
    spec = importlib.util.spec_from_file_location("make_sources_md", ROOT / "tools" / "make_sources_md.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    expected = tool.render()
    got = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert got == expected, "docs/sources.md is stale; regenerate it with tools/make_sources_md.py"
    for key in BIB:
        assert f"### `{key}`" in got


# --- the loader: one syntax, parsed in one place --------------------------------------------
def test_parse_citations_reads_single_and_grouped_keys_in_order():
    text = "47 t [V] [@estadao-2006-topol-m]; 47.2 t [R] [@podvig-2001; @estadao-2006-topol-m]"
    assert catalog.parse_citations(text, "x", BIB) == ["estadao-2006-topol-m", "podvig-2001"]
    assert catalog.parse_citations("no citation [V] [R/unknown]", "x", BIB) == []
    assert catalog.replace_citations(text, lambda keys: f"<{'|'.join(keys)}>") == \
        "47 t [V] <estadao-2006-topol-m>; 47.2 t [R] <podvig-2001|estadao-2006-topol-m>"


@pytest.mark.parametrize("text, match", [
    ("x [@no-such-source]", "not in catalog/sources.yaml"),
    ("x [@podvig-2002]", "did you mean podvig-2001"),
    ("x [@Podvig 2001]", "malformed citation"),
    ("x [@podvig-2001; podvig-2001]", "malformed citation"),
    ("x [@podvig-2001", "not closed"),
    ("x [podvig-2001]", r"write the citation \[podvig-2001\] as \[@podvig-2001\]"),
])
def test_parse_citations_refuses_bad_citations(text, match):
    with pytest.raises(ScenarioError, match=match) as exc:
        catalog.parse_citations(text, "here.source", BIB)
    assert exc.value.field == "here.source"


SITE = """\
- name: here
  kind: site
  title: Here
  group: defence-site
  lat_deg: 50.0
  lon_deg: 10.0
  source: "{source}"
"""


def _write(directory: Path, source: str, bibliography: str | None = None) -> Path:
    (directory / "sites.yaml").write_text(SITE.format(source=source), encoding="utf-8")
    if bibliography is not None:
        (directory / catalog.SOURCES_FILE).write_text(bibliography, encoding="utf-8")
    return directory


def test_loader_checks_citations_against_the_bibliography(tmp_path):
    ok = catalog.load_directory(_write(tmp_path, "read there [V] [@podvig-2001]"), require_citations=True)
    assert ok[0]["name"] == "here"
    with pytest.raises(ScenarioError, match="not in catalog/sources.yaml") as exc:
        catalog.load_directory(_write(tmp_path, "[@nope-1999]"))
    assert exc.value.field == "catalog/sites.yaml[here].source"
    with pytest.raises(ScenarioError, match="cites no source"):
        catalog.load_directory(_write(tmp_path, "just prose"), require_citations=True)
    assert catalog.load_directory(_write(tmp_path, "just prose"))[0]["source"] == "just prose"


BIB_OK = """\
- key: own-1999
  author: A. Author
  title: A Title
  year: 1999
  reliability: read
  read: what was read there, in enough words
"""


def test_loader_uses_a_bibliography_beside_the_catalog_files(tmp_path):
    entries = catalog.load_directory(_write(tmp_path, "x [@own-1999]", BIB_OK), require_citations=True)
    assert entries[0]["source"] == "x [@own-1999]"
    with pytest.raises(ScenarioError, match="not in catalog/sources.yaml"):
        catalog.load_directory(_write(tmp_path, "x [@podvig-2001]", BIB_OK))


@pytest.mark.parametrize("change, field, match", [
    (("  author: A. Author\n", ""), "author", "non-empty author"),
    (("  year: 1999\n", "  year: 99\n"), "year", "a year or n.d."),
    (("  reliability: read\n", "  reliability: skimmed\n"), "reliability", "must be one of"),
    (("  read: what", "  colour: red\n  read: what"), None, "unknown field"),
    (("key: own-1999", "key: Own 1999"), "key", "lower-case id"),
    (("  year: 1999\n", "  year: 1999\n  url: www.example.org\n"), "url", "http"),
])
def test_loader_refuses_an_incomplete_bibliography_entry(tmp_path, change, field, match):
    _write(tmp_path, "x [@own-1999]", BIB_OK.replace(*change))
    with pytest.raises(ScenarioError, match=match) as exc:
        catalog.load_directory(tmp_path)
    if field:
        assert exc.value.field.endswith(field)


def test_loader_refuses_a_key_used_twice(tmp_path):
    _write(tmp_path, "x [@own-1999]", BIB_OK + BIB_OK)
    with pytest.raises(ScenarioError, match="used twice"):
        catalog.load_directory(tmp_path)


# --- catalog show -------------------------------------------------------------------------
from tests.test_cli_contract import _parameters  # noqa: E402  (every catalog parameter: a mapping with a value)


def test_catalog_show_ss27_json_gives_readable_citations():
    rc, out, err = _cli("catalog", "show", "ss-27", "--json")
    assert rc == 0, err
    d = json.loads(out)
    params = list(_parameters(d))
    assert len(params) > 20
    for path, p in params:
        assert {"value", "low", "high", "source", "citations"} <= set(p), path
        keys = catalog.parse_citations(p["source"])
        assert [c["key"] for c in p["citations"]] == keys and keys, path
        for c in p["citations"]:
            assert set(c) == set(catalog.SOURCE_FIELDS), path
            assert c["author"] and c["title"] and c["read"] and isinstance(c["year"], str), path
            assert not OUTSIDE.search(URL.sub(" ", p["source"])), path
    liftoff = d["published"]["liftoff_mass_kg"]
    by_key = {c["key"]: c for c in liftoff["citations"]}
    assert by_key["podvig-2001"]["title"] == "Russian Strategic Nuclear Forces"
    assert by_key["podvig-2001"]["year"] == "2001" and by_key["podvig-2001"]["reliability"] == "recalled"
    assert any(c["reliability"] == "read" for c in liftoff["citations"])


def test_catalog_show_site_and_sensor_cite_their_coordinates():
    rc, out, _ = _cli("catalog", "show", "brdy", "--json")
    brdy = json.loads(out)
    assert rc == 0 and brdy["citations"][0]["key"] == "czech-mod-2007-brdy"
    rc, out, _ = _cli("catalog", "show", "emr-brdy", "--json")
    emr = json.loads(out)
    assert rc == 0 and {"lat_deg", "lon_deg", "alt_km"} <= set(emr["site"])
    assert [c["key"] for c in emr["site"]["citations"]] == ["czech-mod-2007-brdy"]
    rc, out, _ = _cli("catalog", "show", "dsp-geo", "--json")
    assert rc == 0 and all(s["citations"] for s in json.loads(out)["satellites"] if "source" in s)


def test_catalog_show_text_numbers_the_citations_and_lists_them():
    rc, out, err = _cli("catalog", "show", "ss-27")
    assert rc == 0, err
    assert "[@" not in out
    body, _, listing = out.partition("\nSources")
    assert listing, "no list of sources"
    numbers = sorted({int(n) for group in re.findall(r"\[(\d+(?:, \d+)*)\]", body) for n in group.split(", ")})
    assert numbers == list(range(1, len(numbers) + 1))
    for n in numbers:
        assert re.search(rf"^\[{n}\] ", listing, re.M), n
    assert "Pavel Podvig (ed.) (2001). Russian Strategic Nuclear Forces." in listing


# --- the report -----------------------------------------------------------------------------
def test_report_assumptions_show_full_citations_linked_inside_the_page():
    page = build_report(
        "t", ["s"], [{"heading": "h", "text": "x"}],
        [{"parameter": "gbi-2stage burnout speed", "value": {"value": 6.3, "low": 6.0, "high": 9.0,
          "source": "6.3 km/s <MDA> [V] [@afp-2008-postol]; fit [C] [@aca-2003-obv-test; @shieldsim-closed-forms]"}},
         {"parameter": "decision delay", "value": 30, "unit": "s", "source": "scenario doctrine"},
         {"parameter": "again", "value": 1, "source": "[@afp-2008-postol]"}])
    assert check_self_contained(page) == []
    assert "&lt;MDA&gt;" in page and "<MDA>" not in page and "[@" not in page
    assert '[<a href="#source-afp-2008-postol">1</a>]' in page
    assert '[<a href="#source-aca-2003-obv-test">2</a>, <a href="#source-shieldsim-closed-forms">3</a>]' in page
    assert page.count('<li id="source-afp-2008-postol">') == 1
    item = re.search(r'<li id="source-afp-2008-postol">(.*?)</li>', page).group(1)
    assert "Agence France-Presse (2008)." in item and "<cite>" in item
    assert "https://defencetalk.com/us-interceptors-in-europe-fast-enough-to-hit-russian-icbms-researcher-13218" in item
    assert page.index('id="source-afp-2008-postol"') < page.index('id="source-aca-2003-obv-test"')
