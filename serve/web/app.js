// cxrkit draft auditor page. RESEARCH / EDUCATIONAL QA ONLY: not a medical
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
const EXAMPLES = [
  "Mild cardiomegaly. No pleural effusion or pneumothorax.",
  "No acute cardiopulmonary abnormality.",
  "Small right pleural effusion. Possible left lower lobe pneumonia.",
  "Right upper lobe nodule. No pneumothorax.",
  "Heart size is normal. Lungs are clear without focal consolidation.",
];

const $ = (id) => document.getElementById(id);
let file = null;
let objectURL = null;

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

function showError(msg) {
  const box = $("error");
  box.textContent = msg;
  box.hidden = !msg;
}

async function health() {
  try {
    const r = await fetch("/healthz");
    const h = await r.json();
    const eps = Object.entries(h.endpoints || {});
    const bad = eps.filter(([, s]) => s !== "ok");
    $("health").textContent = h.grounding === "gold" ? "grounding: corpus findings (gold)" :
      bad.length ? `model endpoint not answering: ${bad.map(([u, s]) => u + " (" + s + ")").join(", ")}` :
      `model endpoint ready (${eps.length})`;
    $("token-row").hidden = !h.token_required;
  } catch (e) {
    $("health").textContent = "cannot reach the server";
  }
}

function isDICOM(f, head) {
  return /\.(dcm|dicom)$/i.test(f.name) || (head.length >= 132 && String.fromCharCode(...head.slice(128, 132)) === "DICM");
}

async function chooseFile(f) {
  file = f;
  showError("");
  $("drop-text").textContent = f ? `${f.name} (${Math.round(f.size / 1024)} KB)` : "Drop a PNG, JPEG or DICOM here, or choose a file";
  if (!f) return;
  const head = new Uint8Array(await f.slice(0, 132).arrayBuffer());
  if (objectURL) URL.revokeObjectURL(objectURL);
  if (isDICOM(f, head)) {
    const fd = new FormData();
    fd.append("image", f);
    const r = await fetch("/api/preview", { method: "POST", body: fd, headers: authHeaders() });
    if (!r.ok) {
      showError("Cannot preview this DICOM: " + ((await r.json().catch(() => ({}))).error || r.status));
      return;
    }
    objectURL = URL.createObjectURL(await r.blob());
  } else {
    objectURL = URL.createObjectURL(f);
  }
  $("xray").src = objectURL;
}

function authHeaders() {
  const t = $("token").value.trim();
  return t ? { Authorization: "Bearer " + t } : {};
}

function pct(v) { return (v * 1000).toFixed(1); }

function verdictOf(label, a) {
  const v = [];
  if (a.urgent_review_flags.includes(label)) v.push("urgent");
  if (a.missing_findings.includes(label)) v.push("missing");
  if (a.unsupported_claims.includes(label)) v.push("unsupported");
  return v;
}

// renderNoVerdict shows a result without an image reading (audit null):
// an explicit error state, never a verdict chip or an all-clear.
function renderNoVerdict(res) {
  $("results").hidden = false;
  $("chips").replaceChildren(el("span", { class: "chip error", "data-kind": "error" }, "no verdict: the audit failed"));
  $("overlay").replaceChildren();
  $("explanations").replaceChildren(el("li", {}, el("span", { class: "flag error" }, "ERROR "),
    `No audit was computed: ${res.error || "the image could not be read"}. Do not read this as agreement.`));
  $("findings").querySelector("tbody").replaceChildren();
  $("raw").textContent = JSON.stringify(res, null, 2);
}

function render(res) {
  const a = res.audit;
  if (!a) { renderNoVerdict(res); return; }
  $("results").hidden = false;
  // Chips.
  const chips = $("chips");
  chips.replaceChildren();
  const counts = [["urgent", a.urgent_review_flags.length], ["missing", a.missing_findings.length], ["unsupported", a.unsupported_claims.length]];
  for (const [kind, n] of counts) {
    chips.append(el("span", { class: "chip " + kind, "data-kind": kind, "data-count": String(n) }, `${n} ${kind}`));
  }
  if (counts.every(([, n]) => n === 0)) chips.append(el("span", { class: "chip ok", "data-kind": "ok" }, "draft agrees with the image"));
  // Boxes.
  const overlay = $("overlay");
  overlay.replaceChildren();
  for (const f of res.image_findings) {
    if (!f.box_2d) continue;
    const [y0, x0, y1, x1] = f.box_2d;
    const v = verdictOf(f.label, a);
    const kind = v.includes("urgent") ? "urgent" : v.includes("missing") ? "missing" : "supported";
    const g = svg("g", { "data-label": f.label, "data-kind": kind });
    const rect = svg("rect", { class: "box " + kind, x: pct(x0), y: pct(y0), width: pct(x1 - x0), height: pct(y1 - y0), "data-label": f.label, "data-kind": kind });
    rect.append(svg("title", {}, `${LABELS[f.label]}: ${v.length ? v.join(", ") : "reported in the draft"}`));
    g.append(rect);
    const words = [LABELS[f.label]];
    if (kind === "urgent") words.unshift("!");
    if (v.includes("missing")) words.push("(missing)");
    g.append(svg("text", { class: "tag " + kind, x: pct(x0) , y: Math.max(24, y0 * 1000 - 6).toFixed(1) }, words.join(" ")));
    overlay.append(g);
  }
  // Explanations quoting the draft.
  const spans = {};
  for (const d of res.draft_findings) spans[d.label] = d;
  const list = $("explanations");
  list.replaceChildren();
  const quote = (d) => d && d.span ? `“${d.span}”` : "";
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
    const draft = d ? `${d.status}${d.span ? ": “" + d.span + "”" : ""}` : "not mentioned";
    const v = verdictOf(l, a);
    body.append(el("tr", { "data-label": l }, el("th", { scope: "row" }, LABELS[l] || l), el("td", {}, img), el("td", {}, draft), el("td", {}, v.length ? v.join(", ") : "ok")));
  }
  $("raw").textContent = JSON.stringify(res, null, 2);
}

async function run(ev) {
  ev.preventDefault();
  showError("");
  const draft = $("draft").value.trim();
  if (!file) { showError("Choose an image first."); return; }
  if (!draft) { showError("Write or pick a draft first."); return; }
  const fd = new FormData();
  fd.append("image", file);
  fd.append("draft", draft);
  $("run").disabled = true;
  $("status").textContent = "auditing…";
  try {
    const r = await fetch("/api/audit", { method: "POST", body: fd, headers: authHeaders() });
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok) {
      showError(`The audit failed (HTTP ${r.status}): ${body.error || "unknown error"}`);
      renderNoVerdict(body);
      $("status").textContent = "";
      return;
    }
    render(body);
    $("status").textContent = `done (grounding ${body.parse.grounding}, draft ${body.parse.draft})`;
  } catch (e) {
    showError("The server did not answer: " + e.message);
    $("status").textContent = "";
  } finally {
    $("run").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  let dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  try { const saved = localStorage.getItem("cxrkit-theme"); if (saved) dark = saved === "dark"; } catch (_) { /* private mode */ }
  setTheme(dark);
  $("theme").addEventListener("click", () => setTheme(document.documentElement.dataset.theme !== "dark"));
  for (const ex of EXAMPLES) $("example").append(el("option", { value: ex }, ex));
  $("example").addEventListener("change", (e) => { if (e.target.value) $("draft").value = e.target.value; });
  $("image").addEventListener("change", (e) => chooseFile(e.target.files[0] || null));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) chooseFile(e.dataTransfer.files[0]);
  });
  $("form").addEventListener("submit", run);
  health();
});
