// shieldsim workbench: the knobs, the globe and the verdicts.
// Every number comes from the JSON API (/api/...), which calls the same functions as the CLI;
// the page's URL carries the knobs as the API's own query (scenario, interceptor_speed, set=PATH=VALUE).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { scenario: null, speed: null, sets: {}, threat: 0, res: 2, launch: [], target: [] };
const wb = { viewer: null, knobs: null, generation: 0, pending: 0, sources: {}, last: {}, done: {} };
window.workbench = wb;

// --- URL <-> state ------------------------------------------------------------------------------
function readUrl() {
  const q = new URLSearchParams(location.search);
  state.scenario = q.get("scenario");
  state.speed = q.has("interceptor_speed") ? Number(q.get("interceptor_speed")) : null;
  state.sets = {};
  for (const s of q.getAll("set")) {
    const i = s.indexOf("=");
    if (i > 0) state.sets[s.slice(0, i)] = s.slice(i + 1);
  }
  state.threat = Number(q.get("threat") || 0);
  state.res = q.has("resolution_deg") ? Number(q.get("resolution_deg")) : 2;
  state.launch = q.getAll("launch");
  state.target = q.getAll("target");
}

function knobQuery(extra) {
  const q = new URLSearchParams();
  if (state.scenario) q.set("scenario", state.scenario);
  if (state.speed !== null) q.set("interceptor_speed", String(state.speed));
  for (const [p, v] of Object.entries(state.sets)) q.append("set", `${p}=${v}`);
  for (const [k, v] of Object.entries(extra || {})) {
    for (const x of [].concat(v)) q.append(k, String(x));
  }
  return q;
}

function writeUrl() {
  const q = knobQuery({ launch: state.launch, target: state.target });
  if (state.threat) q.set("threat", String(state.threat));
  if (state.res !== 2) q.set("resolution_deg", String(state.res));
  history.replaceState(null, "", `${location.pathname}?${q}`);
  $("dl-yaml").href = `/api/download/scenario.yaml?${knobQuery()}`;
  const rq = knobQuery({ launch: state.launch, target: state.target });
  if (state.res) rq.set("resolution_deg", String(state.res));
  $("dl-json").href = `/api/download/results.json?${rq}`;
}

// --- API ------------------------------------------------------------------------------------------
async function api(path, query) {
  const r = await fetch(`/api/${path}${query ? "?" + query : ""}`);
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error || `${r.status}`);
  return body;
}

function busy(delta, text) {
  wb.pending += delta;
  $("progress").hidden = wb.pending <= 0;
  if (text) $("progress-text").textContent = text;
}

function showError(e) {
  $("error").hidden = !e;
  $("error").textContent = e ? String(e.message || e) : "";
}

// --- the globe --------------------------------------------------------------------------------------
async function makeViewer() {
  Cesium.Ion.defaultAccessToken = undefined;
  const imagery = await Cesium.TileMapServiceImageryProvider.fromUrl(
    Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"));
  const viewer = new Cesium.Viewer("globe", {
    baseLayer: new Cesium.ImageryLayer(imagery), terrainProvider: new Cesium.EllipsoidTerrainProvider(),
    baseLayerPicker: false, geocoder: false, homeButton: true, sceneModePicker: true, navigationHelpButton: false,
    fullscreenButton: false, infoBox: true, selectionIndicator: true, msaaSamples: 1,
  });
  const s = viewer.scene;  // a lean scene: renders at a usable rate under software WebGL too
  s.skyAtmosphere.show = false; s.fog.enabled = false; s.globe.showGroundAtmosphere = false;
  s.sun.show = false; s.moon.show = false; s.postProcessStages.fxaa.enabled = false;
  viewer.resolutionScale = 0.75;
  viewer.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(32, 50, 11.0e6) });
  for (const name of ["phases", "coverage", "russia", "defended"]) {
    wb.sources[name] = new Cesium.CustomDataSource(name);
    viewer.dataSources.add(wb.sources[name]);
  }
  return viewer;
}

const at = (sc, s) => Cesium.JulianDate.addSeconds(Cesium.JulianDate.fromIso8601(sc.epoch), s, new Cesium.JulianDate());
const color = (css, a) => Cesium.Color.fromCssColorString(css).withAlpha(a === undefined ? 1 : a);

function drawScene(sc) {
  const v = wb.viewer;
  const phases = wb.sources.phases.entities, cov = wb.sources.coverage.entities;
  phases.removeAll(); cov.removeAll();
  for (const t of sc.phases) {
    for (const seg of t.segments) {
      phases.add({
        name: `${t.threat}: ${seg.phase}`,
        description: `${t.threat} (${t.missile}), ${seg.phase} from ${seg.from_s} s to ${seg.to_s} s after launch`,
        polyline: { positions: Cesium.Cartesian3.fromDegreesArrayHeights(seg.positions), width: 3,
                    material: color(seg.color), arcType: Cesium.ArcType.NONE },
      });
    }
  }
  for (const r of sc.radars) {
    cov.add({
      name: `radar ${r.name}`,
      description: `${r.name}: detection range ${r.detection_range_km} km (slant) against ${r.rcs_m2} m² ` +
        `(the ${sc.coverage_threat} warhead); elevation mask ${r.min_elevation_deg}°; azimuth ` +
        `${r.azimuth_min_deg}°–${r.azimuth_max_deg}°${r.needs_cue ? "; needs a cue" : ""}`,
      polygon: { hierarchy: Cesium.Cartesian3.fromDegreesArray(r.outline), material: color("#27ae60", 0.12),
                 height: 0, outline: false },
      polyline: { positions: Cesium.Cartesian3.fromDegreesArray(r.outline), width: 1.5,
                  material: color("#27ae60", 0.9), arcType: Cesium.ArcType.GEODESIC },
    });
  }
  for (const s of sc.infrared) {
    cov.add({
      name: `infrared ${s.name}`,
      description: `${s.name}: sees boosting missiles above ${s.cloud_top_km} km cloud tops within ` +
        `${s.horizon_km} km of its sub-point; reports after ${s.report_latency_s} s`,
      polyline: { positions: Cesium.Cartesian3.fromDegreesArray(s.outline), width: 1.5,
                  material: new Cesium.PolylineDashMaterialProperty({ color: color("#9b59b6", 0.9) }),
                  arcType: Cesium.ArcType.GEODESIC },
    });
  }
  // The CZML of `shieldsim run` (tracks, fly-outs, intercepts, sites): it sets the clock and the time slider.
  // Start the clock at the chosen threat's first intercept: its fly-out and intercept point are in view.
  const t = sc.engage.threats[Math.min(state.threat, sc.engage.threats.length - 1)];
  const first = t && t.engagements.find((e) => e.intercept_s !== null);
  const doc = sc.czml[0];
  if (first && doc.clock) doc.clock.currentTime = Cesium.JulianDate.toIso8601(at(sc, first.intercept_s), 0);
  const czml = new Cesium.CzmlDataSource("run");
  return czml.load(sc.czml).then((ds) => {
    if (wb.sources.czml) v.dataSources.remove(wb.sources.czml, true);
    wb.sources.czml = ds;
    for (const e of ds.entities.values) {  // smaller site labels: many sites sit close together
      if (e.label) { e.label.font = "15px sans-serif"; e.label.pixelOffset = new Cesium.Cartesian2(8, -8);
                     e.label.horizontalOrigin = Cesium.HorizontalOrigin.LEFT; }
    }
    v.dataSources.add(ds);
    v.clock.shouldAnimate = false;
    if (v.timeline) v.timeline.zoomTo(v.clock.startTime, v.clock.stopTime);
  });
}

function drawRussia(ru) {
  const ents = wb.sources.russia.entities;
  ents.removeAll();
  for (const p of ru.pairs) {
    if (!p.positions) continue;
    ents.add({
      name: `${ru.missile} ${p.launch} → ${p.target}`,
      description: p.engageable ? `engageable by ${p.batteries.join(", ")}` :
        `not engageable${p.min_burnout_speed_km_s ? `; engageable from ${p.min_burnout_speed_km_s} km/s` : ""}`,
      polyline: { positions: Cesium.Cartesian3.fromDegreesArrayHeights(p.positions), width: p.engageable ? 2.5 : 1,
                  material: p.engageable ? color("#e74c3c") : color("#95a5a6", 0.6), arcType: Cesium.ArcType.NONE },
    });
  }
}

function drawDefended(d) {
  const ents = wb.sources.defended.entities;
  ents.removeAll();
  if (!d) return;
  const f = d.geojson.features.find((x) => x.properties.kind === "defended");
  if (!f || !f.geometry) return;
  const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
  for (const rings of polys) {
    const ring = (r) => Cesium.Cartesian3.fromDegreesArray(r.flat());
    ents.add({
      name: "defended area",
      description: `${(100 * d.footprint.defended_fraction).toFixed(0)}% of the reachable aim points defended`,
      polygon: { hierarchy: new Cesium.PolygonHierarchy(ring(rings[0]),
                                                         rings.slice(1).map((h) => new Cesium.PolygonHierarchy(ring(h)))),
                 material: color("#1abc9c", 0.45), height: 0 },
    });
  }
}

// --- verdicts and panels ------------------------------------------------------------------------------
function fmt(x, nd) { return x === null || x === undefined ? "never" : Number(x).toFixed(nd === undefined ? 0 : nd); }

function showVerdicts(sc) {
  const rows = sc.engage.threats.map((t) => {
    const ok = t.shot_opportunities > 0;
    return `<div class="verdict" data-threat="${t.threat}" data-defended="${ok}">${t.threat}: ` +
      `<b class="${ok ? "yes" : "no"}">${ok ? "defended" : "not defended"}</b> ` +
      `(${t.shot_opportunities} shot${t.shot_opportunities === 1 ? "" : "s"}, P(kill) ${fmt(t.p_kill, 2)})</div>`;
  });
  $("threat-verdicts").innerHTML = rows.join("");
  const lines = [];
  for (const [k, c] of Object.entries(sc.commands)) lines.push(c);
  $("commands").textContent = lines.join("\n");
  showEvents(sc);
}

function showRussia(ru) {
  const el = $("russia-verdict");
  el.dataset.engageable = String(ru.engageable);
  el.dataset.total = String(ru.total);
  const speeds = ru.pairs.filter((p) => !p.engageable && p.min_burnout_speed_km_s).map((p) => p.min_burnout_speed_km_s);
  const flip = speeds.length ? ` The first further pair becomes engageable at ${Math.min(...speeds).toFixed(2)} km/s.` : "";
  el.innerHTML = `<div class="verdict">Russian ICBMs (${ru.missile}): <b class="${ru.engageable ? "no" : "yes"}">` +
    `${ru.engageable} of ${ru.total}</b> base-target pairs engageable.${flip}</div>`;
}

function showDefended(d) {
  $("defended-verdict").innerHTML = d ? `<div class="verdict">Defended area: <b>${(100 * d.footprint.defended_fraction).toFixed(0)}%</b>` +
    ` of the reachable aim points (${d.footprint.aim_points} aim points at ${state.res}°)</div>` : "";
}

function showFlips(f) {
  if (!f.flips.length) { $("flips").textContent = "no single knob at its published end flips a threat's verdict"; return; }
  $("flips").innerHTML = f.flips.map((r) => `<div><code>${r.parameter}</code> at its ${r.side} end (${r.value}${r.unit ? " " + r.unit : ""}): ` +
    r.threats.map((t) => `${t.threat} ${t.defended ? "becomes defended" : "is no longer defended"}`).join(", ") + "</div>").join("");
}

function showEvents(sc) {
  const t = sc.engage.threats[Math.min(state.threat, sc.engage.threats.length - 1)];
  const ev = [];
  if (t && t.fire_control_s !== null) {
    ev.push(["radar detection (fire-control model)", t.fire_control_s - sc.track_settle_s]);
    ev.push(["fire-control track", t.fire_control_s]);
  }
  for (const e of (t ? t.engagements : [])) {
    ev.push([`shot ${e.shot}: launch`, e.launch_s]);
    ev.push([`shot ${e.shot}: intercept`, e.intercept_s]);
    ev.push([`shot ${e.shot}: kill assessment`, e.assessment_s]);
  }
  $("events").innerHTML = t ? `<div class="muted">${t.threat} (seconds after its launch)</div>` : "";
  for (const [label, s] of ev) {
    if (s === null || s === undefined) continue;
    const b = document.createElement("button");
    b.textContent = `${label} ${s.toFixed(0)} s`;
    b.onclick = () => { wb.viewer.clock.currentTime = at(sc, s); };
    $("events").appendChild(b);
  }
}

// --- knobs --------------------------------------------------------------------------------------------
function param(path) { return wb.knobs.parameters.find((p) => p.parameter === path); }

function slider(id, p, value, fmtv) {
  const el = $(id);
  el.min = p.low; el.max = p.high; el.value = value;
  $(`${id}-value`).textContent = fmtv(value);
  $(`${id}-range`).textContent = `published ${p.low}–${p.high}${p.unit ? " " + p.unit : ""}; scenario ${p.base}` +
    `${p.notional ? " (notional)" : ""}`;
  $(`${id}-range`).title = p.source;
}

function setOrClear(path, value, base) {
  if (String(value) === String(base)) delete state.sets[path]; else state.sets[path] = String(value);
}

function buildKnobs() {
  const k = wb.knobs;
  const speedP = param("batteries.0.burnout_speed_km_s");
  const sp = $("speed");
  if (speedP) {
    slider("speed", speedP, state.speed !== null ? state.speed : speedP.base, (x) => Number(x).toFixed(2));
    sp.oninput = () => { $("speed-value").textContent = Number(sp.value).toFixed(2); };
    sp.onchange = () => { const v = Number(sp.value); state.speed = v === speedP.base ? null : v; changed(); };
  }
  const numeric = [["delay", "doctrine.decision_delay_s", (x) => Number(x).toFixed(0)],
                   ["sspk", "doctrine.sspk", (x) => Number(x).toFixed(2)]];
  for (const [id, path, f] of numeric) {
    const p = param(path);
    if (!p) continue;
    slider(id, p, state.sets[path] !== undefined ? Number(state.sets[path]) : p.base, f);
    $(id).oninput = () => { $(`${id}-value`).textContent = f($(id).value); };
    $(id).onchange = () => { setOrClear(path, Number($(id).value), p.base); changed(); };
  }
  const rt = param("doctrine.require_track");
  $("require-track").checked = state.sets["doctrine.require_track"] !== undefined ?
    state.sets["doctrine.require_track"] === "true" : k.doctrine.require_track;
  $("require-track").onchange = () => { setOrClear("doctrine.require_track", $("require-track").checked, k.doctrine.require_track); changed(); };
  if (rt) $("require-track").parentElement.title = rt.source;
  // Radar ranges: every sensor parameter with a published range.
  const rk = $("radar-knobs");
  rk.innerHTML = "";
  for (const p of k.parameters.filter((x) => /^sensors\.\d+\.reference_range_km$/.test(x.parameter))) {
    const id = `knob-${p.parameter.replace(/\./g, "-")}`;
    const div = document.createElement("div");
    div.className = "knob";
    div.innerHTML = `<label for="${id}">${p.label} <b id="${id}-value"></b> km</label>` +
      `<input id="${id}" type="range" step="${Math.max(1, (p.high - p.low) / 100).toFixed(0)}"><small id="${id}-range" class="muted"></small>`;
    rk.appendChild(div);
    slider(id, p, state.sets[p.parameter] !== undefined ? Number(state.sets[p.parameter]) : p.base, (x) => Number(x).toFixed(0));
    $(id).oninput = () => { $(`${id}-value`).textContent = Number($(id).value).toFixed(0); };
    $(id).onchange = () => { setOrClear(p.parameter, Number($(id).value), p.base); changed(); };
  }
  // Sensors on/off (the forward radar among them).
  const sk = $("sensor-knobs");
  sk.innerHTML = "";
  for (const s of k.sensors) {
    const path = `sensors.${s.index}.enabled`;
    const div = document.createElement("div");
    div.className = "knob";
    const on = state.sets[path] !== undefined ? state.sets[path] === "true" : s.enabled;
    div.innerHTML = `<label><input type="checkbox" id="knob-sensor-${s.index}" ${on ? "checked" : ""}> sensor ${s.name} on</label>`;
    sk.appendChild(div);
    $(`knob-sensor-${s.index}`).onchange = (e) => { setOrClear(path, e.target.checked, s.enabled); changed(); };
  }
  // Threat: which one, its missile and trajectory family.
  const th = $("threat");
  th.innerHTML = k.threats.map((t) => `<option value="${t.index}">${t.name} (${t.from} → ${t.to})</option>`).join("");
  th.value = String(Math.min(state.threat, k.threats.length - 1));
  const t = k.threats[Number(th.value)];
  const mp = `threats.${t.index}.missile`, tp = `threats.${t.index}.trajectory`;
  $("threat-missile").innerHTML = k.missiles.map((m) => `<option>${m}</option>`).join("");
  $("threat-missile").value = state.sets[mp] || t.missile;
  $("threat-trajectory").innerHTML = k.trajectories.map((m) => `<option>${m}</option>`).join("");
  $("threat-trajectory").value = state.sets[tp] || t.trajectory;
  th.onchange = () => { state.threat = Number(th.value); buildKnobs(); writeUrl(); if (wb.last.scene) showEvents(wb.last.scene); };
  $("threat-missile").onchange = () => { setOrClear(mp, $("threat-missile").value, t.missile); changed(); };
  $("threat-trajectory").onchange = () => { setOrClear(tp, $("threat-trajectory").value, t.trajectory); changed(); };
  $("resolution").value = String(state.res);
  $("resolution").onchange = () => { state.res = Number($("resolution").value); changed(); };
}

async function loadKnobs() {
  const q = new URLSearchParams();
  if (state.scenario) q.set("scenario", state.scenario);
  wb.knobs = await api("knobs", q);
  $("title").textContent = wb.knobs.title;
  buildKnobs();
}

let timer = null;
function changed() {
  writeUrl();
  clearTimeout(timer);
  timer = setTimeout(recompute, 150);
}

// --- recomputation: scene (engage + CZML), Russian ICBMs (reach), defended area (footprint), flips ---
async function recompute() {
  const gen = ++wb.generation;
  const q = knobQuery();
  const current = () => gen === wb.generation;
  showError(null);
  // Each step marks wb.done[name] with the generation it finished for (tests wait on it).
  const step = async (name, label, fn) => {
    busy(1, label);
    try { await fn(); } catch (e) { if (current()) showError(e); } finally {
      busy(-1);
      if (current()) wb.done[name] = gen;
    }
  };
  await step("scene", "engagements and fly-outs…", async () => {
    const sc = await api("scene", q);
    if (!current()) return;
    wb.last.scene = sc;
    showVerdicts(sc);
    await drawScene(sc);
  });
  await step("russia", "Russian ICBMs (reach)…", async () => {
    const ru = await api("russia", knobQuery({ launch: state.launch, target: state.target }));
    if (!current()) return;
    wb.last.russia = ru;
    showRussia(ru);
    drawRussia(ru);
  });
  await step("defended", "defended area (footprint)…", async () => {
    if (!state.res) { drawDefended(null); showDefended(null); return; }
    const rq = knobQuery(); rq.set("resolution_deg", String(state.res));
    const d = await api("defended", rq);
    if (!current()) return;
    wb.last.defended = d;
    drawDefended(d);
    showDefended(d);
  });
  await step("flips", "which knob flips the verdicts…", async () => {
    const f = await api("flips", q);
    if (!current() || f.superseded) return;
    wb.last.flips = f;
    showFlips(f);
  });
}

wb.counts = () => {
  const n = (s) => (s ? s.entities.values.length : 0);
  const czml = wb.sources.czml ? wb.sources.czml.entities.values : [];
  return {
    phases: n(wb.sources.phases), coverage: n(wb.sources.coverage), russia: n(wb.sources.russia),
    defended: n(wb.sources.defended),
    czml_tracks: czml.filter((e) => e.id.startsWith("track-")).length,
    czml_flyouts: czml.filter((e) => e.id.startsWith("flyout-")).length,
    czml_sites: czml.filter((e) => e.id.startsWith("site-")).length,
    radars: wb.last.scene ? wb.last.scene.radars.length : 0,
    infrared: wb.last.scene ? wb.last.scene.infrared.length : 0,
  };
};

async function main() {
  readUrl();
  const list = await api("scenarios");
  if (!state.scenario) state.scenario = list.default;
  $("scenario").innerHTML = list.scenarios.map((s) => `<option value="${s.name}">${s.name}</option>`).join("");
  $("scenario").value = state.scenario;
  $("scenario").onchange = async () => {
    state.scenario = $("scenario").value; state.sets = {}; state.speed = null; state.threat = 0;
    await loadKnobs(); changed();
  };
  $("reset").onclick = async () => { state.sets = {}; state.speed = null; buildKnobs(); changed(); };
  wb.viewer = await makeViewer();
  await loadKnobs();
  writeUrl();
  await recompute();
}

main().catch((e) => showError(e));
