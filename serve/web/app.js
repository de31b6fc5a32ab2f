// cxrkit reading room. RESEARCH / EDUCATIONAL QA ONLY: not a medical
// device, not diagnosis, not for clinical use.
"use strict";

const LABELS = {
  pleural_effusion: "Pleural effusion",
  pneumothorax: "Pneumothorax",
  lung_opacity_consolidation: "Lung opacity / consolidation",
  nodule_mass: "Nodule / mass",
  cardiomegaly: "Cardiomegaly",
  no_finding: "No finding",
};
const ORDER = Object.keys(LABELS);
// One colour per label, bright enough on a grey radiograph.
const COLORS = {
  pleural_effusion: "#3fb2ff",
  pneumothorax: "#ff4f6d",
  lung_opacity_consolidation: "#ffb000",
  nodule_mass: "#d08cff",
  cardiomegaly: "#35d07f",
  no_finding: "#c9d1d9",
};
const SEVERITY = { urgent: 3, missing: 2, supported: 1, finding: 0 };
const STYLE_TEXT = {
  supported: "solid: on the image and in the draft",
  missing: "dashed: on the image, missing from the draft",
  urgent: "thick with “!”: urgent finding, review now",
  finding: "solid: on the image (no verdict)",
};
const EXAMPLES = [
  "Mild cardiomegaly. No pleural effusion or pneumothorax.",
  "No acute cardiopulmonary abnormality.",
  "Small right pleural effusion. Possible left lower lobe pneumonia.",
  "Right upper lobe nodule. No pneumothorax.",
  "Heart size is normal. Lungs are clear without focal consolidation.",
];
const DISCLAIMER = "RESEARCH / EDUCATIONAL QA ONLY: not a medical device, not diagnosis, not for clinical use.";
const SAME_REGION_IOU = 0.5;

const $ = (id) => document.getElementById(id);

// Page state. One object, so every view reads the same facts.
const state = {
  mode: "audit",
  grounding: "model",
  file: null,
  result: null,      // the result record shown
  verdicts: true,    // false: image-only reading or failed audit
  image: null,       // {w, h, orig: ImageData|null, name}
  hidden: new Set(), // labels switched off
  allBoxes: true,
  view: { s: 1, tx: 0, ty: 0, fit: 1 },
  layout: null,      // regions with their label rectangles, image pixels
  review: { offset: 0, limit: 50, items: [], total: 0, index: -1, prev: -1, next: -1, filters: {} },
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function setTheme(dark) {
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  $("theme").setAttribute("aria-pressed", String(dark));
  $("theme").textContent = dark ? "Light theme" : "Dark theme";
  try { localStorage.setItem("cxrkit-theme", dark ? "dark" : "light"); } catch (_) { /* private mode */ }
}

function showError(title, detail) {
  const box = $("error");
  box.replaceChildren();
  if (title) box.append(el("b", {}, title), detail || "");
  box.hidden = !title;
}

function authHeaders() {
  const t = $("token").value.trim();
  return t ? { Authorization: "Bearer " + t } : {};
}

async function getJSON(url) {
  const r = await fetch(url, { headers: authHeaders() });
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

// ---- Box layout: merge same-region boxes, then place labels apart. ----

function iou(a, b) {
  const ix = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const iy = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const inter = ix * iy;
  const area = (r) => (r.x1 - r.x0) * (r.y1 - r.y0);
  return inter > 0 ? inter / (area(a) + area(b) - inter) : 0;
}

function touches(a, b) {
  return a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
}

function union(a, b) {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}

// clusterBoxes merges boxes until no two of them touch (or, with
// minIoU > 0, overlap by at least minIoU); each cluster keeps its members.
function clusterBoxes(items, joins) {
  let groups = items.map((it) => ({ box: it.box, members: [it] }));
  for (let merged = true; merged;) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        if (joins(groups[i], groups[j])) {
          groups[i] = { box: union(groups[i].box, groups[j].box), members: groups[i].members.concat(groups[j].members) };
          groups.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return groups;
}

// regionsOf turns findings into drawn regions: boxes of one label that
// touch become one region with "(N foci)"; regions of different labels
// over the same area become one region with a combined label.
function regionsOf(findings, kindOf, missingOf, W, H) {
  const byLabel = {};
  for (const f of findings) {
    if (!f.box_2d) continue;
    const [y0, x0, y1, x1] = f.box_2d;
    (byLabel[f.label] = byLabel[f.label] || []).push({ label: f.label, box: { x0: x0 * W, y0: y0 * H, x1: x1 * W, y1: y1 * H } });
  }
  const parts = [];
  for (const label of ORDER) {
    if (!byLabel[label]) continue;
    for (const g of clusterBoxes(byLabel[label], (a, b) => touches(a.box, b.box))) {
      parts.push({ box: g.box, label, foci: g.members.length, kind: kindOf(label), missing: missingOf(label) });
    }
  }
  const regions = clusterBoxes(parts, (a, b) => iou(a.box, b.box) >= SAME_REGION_IOU).map((g) => {
    const members = g.members.sort((a, b) => SEVERITY[b.kind] - SEVERITY[a.kind] || ORDER.indexOf(a.label) - ORDER.indexOf(b.label));
    const text = members.map((p) => (p.kind === "urgent" ? "! " : "") + LABELS[p.label] +
      (p.foci > 1 ? ` (${p.foci} foci)` : "") + (p.missing ? " (missing)" : "")).join(" + ");
    return { box: g.box, parts: members, kind: members[0].kind, color: COLORS[members[0].label], text };
  });
  regions.sort((a, b) => a.box.y0 - b.box.y0 || a.box.x0 - b.box.x0);
  return regions;
}

function overlaps(a, b, m) {
  return a.x < b.x + b.w + m && b.x < a.x + a.w + m && a.y < b.y + b.h + m && b.y < a.y + a.h + m;
}

// placeLabels gives each region a label rectangle inside the image that
// overlaps no other: beside a corner of its box when one is free, else
// nudged up or down from the first choice, else the first free slot.
function placeLabels(regions, W, H, fs, measure) {
  const pad = fs * 0.3, h = fs * 1.35, gap = fs * 0.25;
  const placed = [];
  const fits = (r) => r.x >= 0 && r.y >= 0 && r.x + r.w <= W + 0.01 && r.y + r.h <= H + 0.01;
  const free = (r) => fits(r) && !placed.some((p) => overlaps(r, p, gap / 2));
  const clamp = (x, y, w) => ({ x: Math.min(Math.max(0, x), Math.max(0, W - w)), y: Math.min(Math.max(0, y), Math.max(0, H - h)), w, h });
  for (const r of regions) {
    const w = Math.min(W, measure(r.text) + 2 * pad);
    const b = r.box;
    const near = [[b.x0, b.y0 - h - gap], [b.x0, b.y1 + gap], [b.x0 + gap, b.y0 + gap], [b.x1 - w, b.y0 - h - gap], [b.x1 - w, b.y1 + gap], [b.x0 + gap, b.y1 - h - gap]]
      .map(([x, y]) => clamp(x, y, w));
    let spot = near.find(free);
    const first = near[0];
    for (let k = 1; !spot && k < 400; k++) {
      for (const dy of [k * (h + gap) / 2, -k * (h + gap) / 2]) {
        const c = { x: first.x, y: first.y + dy, w, h };
        if (free(c)) { spot = c; break; }
      }
    }
    for (let y = 0; !spot && y + h <= H; y += h + gap) {
      for (let x = 0; x + w <= W; x += w / 2) {
        const c = { x, y, w, h };
        if (free(c)) { spot = c; break; }
      }
    }
    r.tag = spot || first;
    r.tag.pad = pad;
    r.moved = !near.slice(0, 3).some((n) => n.x === r.tag.x && n.y === r.tag.y);
    placed.push(r.tag);
  }
  return regions;
}

// The label font size in image pixels: about 13 screen pixels at fit.
function labelFontSize(W, H) {
  return Math.max(10, Math.round(13 / state.view.fit));
}

function measurer(fs) {
  const c = document.createElement("canvas").getContext("2d");
  c.font = `600 ${fs}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  return (t) => c.measureText(t).width;
}

// leaderFrom is the point of the box nearest the label's centre.
function leaderFrom(r) {
  const cx = r.tag.x + r.tag.w / 2, cy = r.tag.y + r.tag.h / 2, b = r.box;
  return [Math.min(Math.max(cx, b.x0), b.x1), Math.min(Math.max(cy, b.y0), b.y1), cx, cy];
}

// ---- Verdicts. ----

function verdictOf(label, a) {
  if (!a) return [];
  const v = [];
  if (a.urgent_review_flags.includes(label)) v.push("urgent");
  if (a.missing_findings.includes(label)) v.push("missing");
  if (a.unsupported_claims.includes(label)) v.push("unsupported");
  return v;
}

function kindFor(label) {
  if (!state.verdicts) return "finding";
  const v = verdictOf(label, state.result.audit);
  return v.includes("urgent") ? "urgent" : v.includes("missing") ? "missing" : "supported";
}

function missingFor(label) {
  return state.verdicts && verdictOf(label, state.result.audit).includes("missing");
}

// failureOf says why a result has no verdict, or "" when it has one.
function failureOf(res) {
  if (res.error) return res.error;
  if (res.parse && res.parse.draft === "none") return "";
  if (!res.audit) return "the audit was not computed";
  if (res.parse && res.parse.grounding === "failed") return "the grounding answer could not be read, so the audit was not computed";
  if (res.parse && res.parse.draft === "failed") return "the draft could not be parsed, so the audit was not computed";
  return "";
}

// ---- The image: canvas with window/level, and the zoom/pan view. ----

function stageSize() {
  const r = $("stage").getBoundingClientRect();
  return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
}

function applyView() {
  const v = state.view;
  $("world").style.transform = `translate(${v.tx}px, ${v.ty}px) scale(${v.s})`;
  $("zoom-level").textContent = `${Math.round(v.s / v.fit * 100)}%`;
}

function fitView() {
  if (!state.image) return;
  const { w, h } = stageSize();
  const s = Math.min(w / state.image.w, h / state.image.h);
  state.view = { s, fit: s, tx: (w - state.image.w * s) / 2, ty: (h - state.image.h * s) / 2 };
  applyView();
}

function zoomAt(factor, cx, cy) {
  const v = state.view;
  if (!state.image) return;
  const s = Math.min(Math.max(v.s * factor, v.fit * 0.5), v.fit * 16);
  if (cx === undefined) { const z = stageSize(); cx = z.w / 2; cy = z.h / 2; }
  v.tx = cx - (cx - v.tx) * (s / v.s);
  v.ty = cy - (cy - v.ty) * (s / v.s);
  v.s = s;
  applyView();
}

function panBy(dx, dy) {
  state.view.tx += dx;
  state.view.ty += dy;
  applyView();
}

// windowLevel redraws the canvas through a lookup table.
function windowLevel() {
  const wv = Number($("wl-width").value), lv = Number($("wl-level").value), inv = $("invert").checked;
  $("wl-text").textContent = `W ${wv} L ${lv}`;
  const img = state.image;
  if (!img || !img.orig) return;
  const lo = lv - wv / 2;
  const lut = new Uint8ClampedArray(256);
  for (let i = 0; i < 256; i++) {
    const v = Math.round((i - lo) / wv * 255);
    lut[i] = inv ? 255 - v : v;
  }
  const out = new ImageData(img.w, img.h);
  const s = img.orig.data, d = out.data;
  for (let i = 0; i < s.length; i += 4) {
    d[i] = lut[s[i]]; d[i + 1] = lut[s[i + 1]]; d[i + 2] = lut[s[i + 2]]; d[i + 3] = 255;
  }
  $("xray").getContext("2d").putImageData(out, 0, 0);
}

let wlPending = false;
function scheduleWindowLevel() {
  if (wlPending) return;
  wlPending = true;
  requestAnimationFrame(() => { wlPending = false; windowLevel(); });
}

// showImage puts pixels (or, with url null, a blank of w×h saying why)
// on the canvas and fits the view.
async function showImage(url, w, h, why) {
  const canvas = $("xray");
  let orig = null;
  if (url) {
    const img = new Image();
    img.src = url;
    await img.decode();
    w = img.naturalWidth; h = img.naturalHeight;
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    orig = ctx.getImageData(0, 0, w, h);
  } else {
    const scale = 1024 / Math.max(w, h, 1);
    w = Math.max(1, Math.round(w * scale)); h = Math.max(1, Math.round(h * scale));
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#2a2f36";
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = "#c9d1d9";
    ctx.font = `600 ${Math.round(w / 22)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillText(why || "image not available", w / 2, h / 2);
  }
  canvas.dataset.available = String(!!url);
  state.image = { w, h, orig };
  $("overlay").setAttribute("viewBox", `0 0 ${w} ${h}`);
  $("overlay").setAttribute("width", w);
  $("overlay").setAttribute("height", h);
  $("placeholder").hidden = true;
  fitView();
  windowLevel();
}

// ---- Drawing boxes: SVG on screen, canvas for the PNG, one layout. ----

function visibleFindings() {
  if (!state.result || !state.allBoxes) return [];
  return state.result.image_findings.filter((f) => f.box_2d && !state.hidden.has(f.label));
}

function drawBoxes() {
  const overlay = $("overlay");
  overlay.replaceChildren();
  if (!state.image || !state.result) return;
  const { w, h } = state.image;
  const fs = labelFontSize(w, h);
  state.layout = placeLabels(regionsOf(visibleFindings(), kindFor, missingFor, w, h), w, h, fs, measurer(fs));
  for (const r of state.layout) {
    const b = r.box, t = r.tag;
    const g = svg("g", { class: "region", "data-labels": r.parts.map((p) => p.label).join(" "), "data-kind": r.kind });
    const rect = svg("rect", { class: "box " + r.kind, x: b.x0.toFixed(1), y: b.y0.toFixed(1), width: (b.x1 - b.x0).toFixed(1), height: (b.y1 - b.y0).toFixed(1),
      stroke: r.color, "data-label": r.parts[0].label, "data-kind": r.kind });
    rect.append(svg("title", {}, r.text));
    g.append(rect);
    if (r.moved) {
      const [x1, y1, x2, y2] = leaderFrom(r);
      g.append(svg("line", { class: "leader", x1, y1, x2, y2, stroke: r.color }));
    }
    g.append(svg("rect", { class: "tag", x: t.x.toFixed(1), y: t.y.toFixed(1), width: t.w.toFixed(1), height: t.h.toFixed(1), rx: (fs * 0.2).toFixed(1),
      fill: "rgba(0,0,0,0.78)", stroke: r.color, "stroke-width": (fs * 0.08).toFixed(2) }));
    g.append(svg("text", { class: "tag-text", x: (t.x + t.pad).toFixed(1), y: (t.y + t.h * 0.74).toFixed(1), "font-size": fs, fill: r.color }, r.text));
    overlay.append(g);
  }
}

// annotatedPNG draws the image as windowed on screen, the same regions and
// labels, and the disclaimer, at the image's own resolution.
function annotatedPNG() {
  const { w, h } = state.image;
  const fs = labelFontSize(w, h);
  const strip = Math.round(fs * 1.8);
  const c = document.createElement("canvas");
  c.width = w; c.height = h + strip;
  const ctx = c.getContext("2d");
  ctx.drawImage($("xray"), 0, 0);
  const lineW = Math.max(2, w / 400);
  for (const r of state.layout || []) {
    const b = r.box, t = r.tag;
    ctx.strokeStyle = r.color;
    ctx.lineWidth = r.kind === "urgent" ? lineW * 2 : lineW;
    ctx.setLineDash(r.kind === "missing" ? [lineW * 3, lineW * 2] : []);
    ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    if (r.moved) {
      const [x1, y1, x2, y2] = leaderFrom(r);
      ctx.setLineDash([lineW * 1.5, lineW * 1.5]);
      ctx.lineWidth = lineW * 0.7;
      ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = "rgba(0,0,0,0.78)";
    ctx.fillRect(t.x, t.y, t.w, t.h);
    ctx.lineWidth = fs * 0.08;
    ctx.strokeRect(t.x, t.y, t.w, t.h);
    ctx.fillStyle = r.color;
    ctx.font = `600 ${fs}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
    ctx.fillText(r.text, t.x + t.pad, t.y + t.h * 0.74);
  }
  ctx.fillStyle = "#8a1c1c";
  ctx.fillRect(0, h, w, strip);
  ctx.fillStyle = "#fff";
  ctx.font = `600 ${Math.round(fs * 0.8)}px system-ui, sans-serif`;
  ctx.fillText(DISCLAIMER, fs * 0.5, h + strip * 0.65, w - fs);
  return c;
}

function download(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function baseName() {
  const id = (state.result && (state.result.case_id || state.result.image_id)) || "cxrkit-result";
  return id.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
}

// ---- The colour key and line-style legend. ----

function renderKey() {
  const key = $("key");
  key.replaceChildren();
  const styles = $("styles");
  styles.replaceChildren();
  if (!state.result) return;
  const counts = {};
  for (const f of state.result.image_findings) if (f.box_2d) counts[f.label] = (counts[f.label] || 0) + 1;
  const labels = ORDER.filter((l) => counts[l]);
  if (!labels.length) {
    key.append(el("li", { class: "muted" }, state.grounding === "gold" && state.mode === "audit" ?
      "No boxes: the corpus has no localized finding for this image." : "No boxes on this image."));
    return;
  }
  for (const l of labels) {
    const id = "key-" + l;
    const box = el("input", { type: "checkbox", id, "data-label": l });
    box.checked = !state.hidden.has(l);
    box.addEventListener("change", () => { if (box.checked) state.hidden.delete(l); else state.hidden.add(l); drawBoxes(); });
    const sw = el("span", { class: "swatch", "aria-hidden": "true" });
    sw.style.backgroundColor = COLORS[l];
    key.append(el("li", {}, el("label", { class: "inline", for: id }, box, sw, `${LABELS[l]} (${counts[l]})`)));
  }
  const kinds = new Set(labels.map(kindFor));
  for (const k of ["supported", "missing", "urgent", "finding"]) {
    if (kinds.has(k)) styles.append(el("li", {}, el("span", { class: "line " + k, "aria-hidden": "true" }), STYLE_TEXT[k]));
  }
}

// ---- The result panel. ----

function render(res, extra) {
  state.result = res;
  const failure = failureOf(res);
  const imageOnly = !failure && res.parse && res.parse.draft === "none";
  state.verdicts = !failure && !imageOnly;
  $("results").hidden = false;
  showError(failure ? (res.error ? "The audit failed" : "No verdict") : "", failure ? `: ${failure}. No verdict is shown; the image findings below are all there is.` : "");
  // Chips: the verdict, only when there is one.
  const chips = $("chips");
  chips.replaceChildren();
  const a = res.audit;
  if (failure) {
    // No verdict without both readings: an explicit error state, never a
    // verdict chip or an all-clear.
    chips.append(el("span", { class: "chip error", "data-kind": "error" }, "no verdict: the audit failed"));
  }
  if (state.verdicts) {
    const counts = [["urgent", a.urgent_review_flags.length], ["missing", a.missing_findings.length], ["unsupported", a.unsupported_claims.length]];
    for (const [kind, n] of counts) chips.append(el("span", { class: "chip " + kind, "data-kind": kind, "data-count": String(n) }, `${n} ${kind}`));
    if (counts.every(([, n]) => n === 0)) chips.append(el("span", { class: "chip ok", "data-kind": "ok" }, "draft agrees with the image"));
  }
  const note = $("reading-note");
  note.hidden = !imageOnly;
  note.textContent = imageOnly ? "Image-only reading: these are the image findings. No draft was given, so there is no verdict." : "";
  // Draft and expected flags (review).
  const draftText = extra && extra.case ? extra.case.draft_text : "";
  $("draft-box").hidden = !draftText;
  $("draft-text").textContent = draftText;
  renderExpected(extra && extra.case && extra.case.expected_audit, state.verdicts ? a : null);
  // Flags quoting the draft.
  const spans = {};
  for (const d of res.draft_findings || []) spans[d.label] = d;
  const list = $("explanations");
  list.replaceChildren();
  $("flags-title").hidden = list.hidden = !state.verdicts;
  const quote = (d) => d && d.span ? `“${d.span}”` : "";
  if (state.verdicts) {
    for (const l of a.urgent_review_flags) {
      list.append(el("li", {}, el("span", { class: "flag urgent" }, "URGENT "), `${LABELS[l]} is on the image: review now${spans[l] && spans[l].status !== "absent" ? " (the draft reports it: " + quote(spans[l]) + ")" : ""}.`));
    }
    for (const l of a.missing_findings) {
      const d = spans[l];
      const why = d && d.status === "absent" ? `the draft denies it: ${quote(d)}` : "the draft does not mention it";
      list.append(el("li", {}, el("span", { class: "flag missing" }, "MISSING "), `${LABELS[l]} is on the image, but ${why}.`));
    }
    for (const l of a.unsupported_claims) {
      list.append(el("li", {}, el("span", { class: "flag unsupported" }, "UNSUPPORTED "), `The draft says ${quote(spans[l]) || LABELS[l]}, but the image does not show ${LABELS[l].toLowerCase()}.`));
    }
    if (!list.children.length) list.append(el("li", {}, el("span", { class: "flag ok" }, "OK "), "No flags: the draft agrees with the image findings."));
  }
  // Findings table.
  const body = $("findings").querySelector("tbody");
  body.replaceChildren();
  const onImage = {};
  for (const f of res.image_findings) (onImage[f.label] = onImage[f.label] || []).push(f);
  for (const l of ORDER) {
    if (!onImage[l] && !spans[l]) continue;
    const boxes = (onImage[l] || []).filter((f) => f.box_2d).length;
    const img = onImage[l] ? (l === "no_finding" ? "normal" : `present${boxes ? ` (${boxes} box${boxes > 1 ? "es" : ""})` : ""}`) : "absent";
    const d = spans[l];
    const draft = imageOnly ? "—" : d ? `${d.status}${d.span ? ": “" + d.span + "”" : ""}` : "not mentioned";
    const v = verdictOf(l, a);
    const verdict = state.verdicts ? (v.length ? v.join(", ") : "ok") : "—";
    body.append(el("tr", { "data-label": l }, el("th", { scope: "row" }, LABELS[l] || l), el("td", {}, img), el("td", {}, draft), el("td", {}, verdict)));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No findings.")));
  $("raw").textContent = JSON.stringify(extra ? extra : res, null, 2);
  renderKey();
  drawBoxes();
}

function renderExpected(exp, actual) {
  const box = $("expected-box");
  box.hidden = !exp;
  const body = $("expected").querySelector("tbody");
  body.replaceChildren();
  if (!exp) return;
  const names = (ls) => ls && ls.length ? ls.map((l) => LABELS[l] || l).join(", ") : "—";
  for (const [key, title] of [["urgent_review_flags", "Urgent"], ["missing_findings", "Missing"], ["unsupported_claims", "Unsupported"]]) {
    const e = names(exp[key]);
    const got = actual ? names(actual[key]) : "not computed";
    const differs = e !== got;
    body.append(el("tr", { "data-flag": key }, el("th", { scope: "row" }, title), el("td", {}, e), el("td", differs ? { class: "differs" } : {}, got + (differs ? " ≠" : ""))));
  }
}

// ---- Audit mode: upload and run. ----

function isDICOM(f, head) {
  return /\.(dcm|dicom)$/i.test(f.name) || (head.length >= 132 && String.fromCharCode(...head.slice(128, 132)) === "DICM");
}

async function chooseFile(f) {
  state.file = f;
  showError("");
  $("drop-text").textContent = f ? `${f.name} (${Math.round(f.size / 1024)} KB)` : "Drop a PNG, JPEG or DICOM here, or choose a file";
  if (!f) return;
  const head = new Uint8Array(await f.slice(0, 132).arrayBuffer());
  let url;
  if (isDICOM(f, head)) {
    const fd = new FormData();
    fd.append("image", f);
    const r = await fetch("/api/preview", { method: "POST", body: fd, headers: authHeaders() });
    if (!r.ok) {
      showError("Cannot preview this DICOM", ": " + ((await r.json().catch(() => ({}))).error || r.status));
      return;
    }
    url = URL.createObjectURL(await r.blob());
  } else {
    url = URL.createObjectURL(f);
  }
  try {
    await showImage(url);
  } catch (e) {
    showError("Cannot show this image", ": " + e.message);
  } finally {
    URL.revokeObjectURL(url);
  }
  state.result = null;
  $("results").hidden = true;
  $("overlay").replaceChildren();
  renderKey();
}

function updateRunLabel() {
  $("run").textContent = $("draft").value.trim() ? "Audit draft" : "Read image";
}

async function runAudit(ev) {
  ev.preventDefault();
  showError("");
  const draft = $("draft").value.trim();
  updateRunLabel();
  if (!state.file) { showError("Choose an image first."); return; }
  const fd = new FormData();
  fd.append("image", state.file);
  if (draft) fd.append("draft", draft);
  $("run").disabled = true;
  $("status").textContent = draft ? "auditing…" : "reading the image…";
  try {
    const r = await fetch("/api/audit", { method: "POST", body: fd, headers: authHeaders() });
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok && !body.image_findings) {
      showError(`The audit failed (HTTP ${r.status})`, `: ${body.error || "unknown error"}`);
      $("status").textContent = "";
      return;
    }
    render(body);
    if (!r.ok) showError(`The audit failed (HTTP ${r.status})`, `: ${body.error || "unknown error"}. No verdict is shown.`);
    $("status").textContent = `done (grounding ${body.parse.grounding}, draft ${body.parse.draft})`;
  } catch (e) {
    showError("The server did not answer", ": " + e.message);
    $("status").textContent = "";
  } finally {
    $("run").disabled = false;
  }
}

// ---- Review mode: filters, list, one case at a time. ----

function filterQuery() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state.review.filters)) if (v) q.set(k, v);
  return q;
}

async function loadList() {
  const rv = state.review;
  const q = filterQuery();
  q.set("offset", rv.offset);
  q.set("limit", rv.limit);
  let body;
  try {
    body = await getJSON("/api/review/cases?" + q);
  } catch (e) {
    showError("Cannot list the cases", ": " + e.message);
    return;
  }
  rv.items = body.items;
  rv.total = body.total;
  $("title").textContent = `cxrkit reading room — review of ${body.all.toLocaleString("en")} cases`;
  renderFilters(body.facets);
  $("list-count").textContent = `${body.total.toLocaleString("en")} of ${body.all.toLocaleString("en")} cases match`;
  $("list-count").dataset.total = String(body.total);
  const list = $("case-list");
  list.replaceChildren();
  for (const it of body.items) {
    const b = el("button", { type: "button", "data-index": String(it.index), "aria-current": String(it.index === rv.index) },
      el("span", { class: "cid" }, it.case_id),
      el("span", { class: "badge " + it.verdict.replace(" ", "-") }, it.verdict),
      it.expected === "disagrees" ? el("span", { class: "badge disagrees" }, "≠ expected") : "",
      it.error ? el("span", { class: "badge error" }, "error") : "",
      el("span", { class: "muted" }, it.case_type));
    b.addEventListener("click", () => openCase(it.index));
    list.append(el("li", {}, b));
  }
  if (!body.items.length) list.append(el("li", { class: "muted" }, "No case matches these filters."));
  const last = Math.min(rv.offset + rv.limit, body.total);
  $("page-info").textContent = body.total ? `${rv.offset + 1}–${last}` : "";
  $("page-prev").disabled = rv.offset === 0;
  $("page-next").disabled = last >= body.total;
  return body;
}

function renderFilters(facets) {
  const box = $("filters");
  const focused = document.activeElement && document.activeElement.id;
  box.replaceChildren();
  for (const f of facets) {
    const id = "filter-" + f.name;
    const sel = el("select", { id, "data-facet": f.name });
    const cur = state.review.filters[f.name] || "";
    sel.append(el("option", { value: "" }, "any"));
    for (const v of f.values) {
      if (v.count === 0 && v.value !== cur) continue;
      const o = el("option", { value: v.value, "data-count": String(v.count) }, `${LABELS[v.value] || v.value} (${v.count.toLocaleString("en")})`);
      sel.append(o);
    }
    sel.value = cur;
    sel.addEventListener("change", async () => {
      state.review.filters[f.name] = sel.value;
      state.review.offset = 0;
      const body = await loadList();
      if (body && body.items.length) openCase(body.items[0].index);
    });
    box.append(el("label", { for: id }, f.title), sel);
  }
  if (focused && $(focused)) $(focused).focus();
}

async function openCase(i) {
  const rv = state.review;
  let c;
  try {
    c = await getJSON(`/api/review/case/${i}?` + filterQuery());
  } catch (e) {
    showError("Cannot open the case", ": " + e.message);
    return;
  }
  rv.index = i; rv.prev = c.prev; rv.next = c.next;
  for (const b of $("case-list").querySelectorAll("button[data-index]")) b.setAttribute("aria-current", String(Number(b.dataset.index) === i));
  $("case-head").hidden = false;
  $("case-id").textContent = c.result.case_id;
  $("case-pos").textContent = c.position >= 0 ? `${(c.position + 1).toLocaleString("en")} of ${c.total.toLocaleString("en")}` : "not in the filtered list";
  const meta = [c.case_type !== "none" ? `case type ${c.case_type}` : "", `verdict ${c.verdict}`, c.expected !== "no expected audit" ? `expected audit: ${c.expected}` : "",
    c.record ? `${c.record.source} · ${c.record.split || "no split"}` : "not in the corpus"].filter(Boolean);
  $("case-meta").textContent = meta.join(" · ");
  $("case-prev").disabled = c.prev < 0;
  $("case-next").disabled = c.next < 0;
  state.hidden.clear();
  const dims = c.record ? [c.record.width || 1024, c.record.height || 1024] : [1024, 1024];
  try {
    if (c.image) {
      const r = await fetch(`/api/review/case/${i}/image`, { headers: authHeaders() });
      if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || `HTTP ${r.status}`);
      const url = URL.createObjectURL(await r.blob());
      try { await showImage(url); } finally { URL.revokeObjectURL(url); }
    } else {
      await showImage(null, dims[0], dims[1], "image not available");
    }
  } catch (e) {
    await showImage(null, dims[0], dims[1], "image not available: " + e.message);
  }
  render(c.result, c);
  document.body.dataset.shown = c.result.case_id;
}

async function step(dir) {
  const rv = state.review;
  const target = dir > 0 ? rv.next : rv.prev;
  if (target < 0) return;
  // Keep the list page in step with the case shown.
  const onPage = rv.items.some((it) => it.index === target);
  if (!onPage) {
    rv.offset = Math.max(0, rv.offset + dir * rv.limit);
    await loadList();
  }
  await openCase(target);
}

async function startReview() {
  $("form").hidden = true;
  $("review").hidden = false;
  $("case-prev").addEventListener("click", () => step(-1));
  $("case-next").addEventListener("click", () => step(1));
  $("page-prev").addEventListener("click", async () => { state.review.offset = Math.max(0, state.review.offset - state.review.limit); await loadList(); });
  $("page-next").addEventListener("click", async () => { state.review.offset += state.review.limit; await loadList(); });
  $("clear-filters").addEventListener("click", async () => { state.review.filters = {}; state.review.offset = 0; await loadList(); });
  const body = await loadList();
  if (body && body.items.length) await openCase(body.items[0].index);
}

// ---- Start. ----

async function health() {
  try {
    const r = await fetch("/healthz");
    const h = await r.json();
    state.mode = h.mode || "audit";
    state.grounding = h.grounding;
    const eps = Object.entries(h.endpoints || {});
    const bad = eps.filter(([, s]) => s !== "ok");
    $("health").textContent = state.mode === "review" ? "review of a finished audit (read-only)" :
      h.grounding === "gold" ? "gold grounding: image findings are the corpus annotations, not a model's" :
      bad.length ? `model endpoint not answering: ${bad.map(([u, s]) => u + " (" + s + ")").join(", ")}` :
      `model endpoint ready (${eps.length})`;
    $("token-row").hidden = !h.token_required;
    $("footer").textContent = "Boxes are normalized [y0, x0, y1, x1]. " + (state.mode === "review" ?
      "Results as recorded by the audit run; expected flags come from the synthetic cases." :
      h.grounding === "gold" ? "Gold mode: the image findings are the corpus's own annotations, so this checks the draft against the annotators, not a model." :
      "The image findings are a model's opinion for research QA, not a diagnosis.");
  } catch (e) {
    $("health").textContent = "cannot reach the server";
  }
}

// typing reports whether a key goes to a text field (letters are its own).
function typing(e) {
  const t = e.target;
  if (!t) return false;
  if (t.tagName === "INPUT") return !["checkbox", "radio", "range", "button", "submit", "file"].includes(t.type);
  return t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable;
}

function wireViewer() {
  const stage = $("stage");
  stage.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  stage.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY };
    stage.setPointerCapture(e.pointerId);
    stage.classList.add("dragging");
  });
  stage.addEventListener("pointermove", (e) => {
    if (!drag) return;
    panBy(e.clientX - drag.x, e.clientY - drag.y);
    drag = { x: e.clientX, y: e.clientY };
  });
  const end = () => { drag = null; stage.classList.remove("dragging"); };
  stage.addEventListener("pointerup", end);
  stage.addEventListener("pointercancel", end);
  stage.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
    if (moves[e.key]) { panBy(...moves[e.key]); e.preventDefault(); }
    else if (e.key === "+" || e.key === "=") { zoomAt(1.25); e.preventDefault(); }
    else if (e.key === "-" || e.key === "_") { zoomAt(1 / 1.25); e.preventDefault(); }
    else if (e.key === "0") { fitView(); e.preventDefault(); }
  });
  $("zoom-in").addEventListener("click", () => zoomAt(1.25));
  $("zoom-out").addEventListener("click", () => zoomAt(1 / 1.25));
  $("zoom-fit").addEventListener("click", fitView);
  for (const id of ["wl-width", "wl-level", "invert"]) $(id).addEventListener("input", scheduleWindowLevel);
  $("wl-reset").addEventListener("click", () => { $("wl-width").value = 255; $("wl-level").value = 128; $("invert").checked = false; windowLevel(); });
  $("all-boxes").addEventListener("change", () => { state.allBoxes = $("all-boxes").checked; drawBoxes(); });
  $("download-json").addEventListener("click", () => {
    download(baseName() + ".json", new Blob([$("raw").textContent + "\n"], { type: "application/json" }));
  });
  $("download-png").addEventListener("click", () => {
    if (!state.image) return;
    annotatedPNG().toBlob((b) => download(baseName() + "-annotated.png", b), "image/png");
  });
  // The stage changes size with the window and with the colour key: fit
  // again, and lay the labels out again for the new font size.
  new ResizeObserver(() => { if (state.image) { fitView(); drawBoxes(); } }).observe(stage);
  document.addEventListener("keydown", (e) => {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "b") { $("all-boxes").checked = !$("all-boxes").checked; state.allBoxes = $("all-boxes").checked; drawBoxes(); }
    else if (e.key === "?") $("help-toggle").click();
    else if (state.mode === "review" && (e.key === "j" || e.key === "n")) step(1);
    else if (state.mode === "review" && (e.key === "k" || e.key === "p")) step(-1);
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  let dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  try { const saved = localStorage.getItem("cxrkit-theme"); if (saved) dark = saved === "dark"; } catch (_) { /* private mode */ }
  setTheme(dark);
  $("theme").addEventListener("click", () => setTheme(document.documentElement.dataset.theme !== "dark"));
  $("help-toggle").addEventListener("click", () => {
    const open = $("help").hidden;
    $("help").hidden = !open;
    $("help-toggle").setAttribute("aria-expanded", String(open));
  });
  for (const ex of EXAMPLES) $("example").append(el("option", { value: ex }, ex));
  $("example").addEventListener("change", (e) => { if (e.target.value) $("draft").value = e.target.value; updateRunLabel(); });
  $("draft").addEventListener("input", updateRunLabel);
  $("image").addEventListener("change", (e) => chooseFile(e.target.files[0] || null));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) chooseFile(e.dataTransfer.files[0]);
  });
  $("form").addEventListener("submit", runAudit);
  wireViewer();
  await health();
  document.body.dataset.mode = state.mode;
  if (state.mode === "review") await startReview();
  document.body.dataset.ready = "true";
});
