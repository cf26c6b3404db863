// SVG drawing for the dashboard: the actuals/forecast chart and the staffing heatmap.
// Times are the contact center's wall-clock time, carried as "wall" milliseconds: the
// local date and time read as if they were UTC, so no browser time zone is involved.

const SVG = "http://www.w3.org/2000/svg";
const DAY_MS = 86400000;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
// Sequential yellow-green-blue (ColorBrewer YlGnBu): ordered, colour-blind safe.
const HEAT = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
  "#253494", "#081d58"];
const NONE_FILL = "#eef1f4";
const COLORS = { actual: "#1f2328", forecast: "#0072b2", band: "#56b4e9", holiday: "#e69f00",
  event: "#cc79a7" };

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Wall milliseconds of an API timestamp like 2026-03-02T09:30:00+09:00 (or a date). */
export function wallTime(text) {
  return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : `${text.slice(0, 19)}Z`);
}

/** "2026-03-02" of wall milliseconds. */
export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** "Mon 3/2", with " 09:30" when `withTime`. */
export function dayLabel(ms, withTime = false) {
  const d = new Date(ms);
  const text = `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  return withTime ? `${text} ${clock(ms)}` : text;
}

export function clock(ms) {
  return new Date(ms).toISOString().slice(11, 16);
}

export function formatCount(value) {
  return value == null || Number.isNaN(value) ? "–" : integer.format(value);
}

function compact(value) {
  if (value >= 10000) return `${integer.format(value / 1000)}k`;
  if (value >= 1000) return `${(value / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  return integer.format(value);
}

function el(name, attrs = {}, parent = null, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text != null) node.textContent = text;
  if (parent) parent.append(node);
  return node;
}

function niceStep(max, ticks) {
  const raw = Math.max(max, 1) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** A path through points, broken where consecutive points are more than `gap` apart. */
function linePath(points, x, y, gap) {
  let d = "";
  let previous = null;
  for (const p of points) {
    d += `${previous === null || p.t - previous > gap ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    previous = p.t;
  }
  return d;
}

/** A closed band between lo and hi, split into runs at gaps like `linePath`. */
function bandPath(points, x, y, lo, hi, gap) {
  const runs = [];
  for (const p of points) {
    const run = runs.at(-1);
    if (!run || p.t - run.at(-1).t > gap) runs.push([p]); else run.push(p);
  }
  return runs.map((run) => {
    const top = run.map((p) => `${x(p.t).toFixed(1)},${y(p[hi]).toFixed(1)}`);
    const bottom = run.slice().reverse().map((p) => `${x(p.t).toFixed(1)},${y(p[lo]).toFixed(1)}`);
    return `M${top.join("L")}L${bottom.join("L")}Z`;
  }).join("");
}

/**
 * Draw actuals (line), forecast (line and 80/95% bands), holidays (day bands with names)
 * and events (bars under the axis) into `host`. `data`: { actual: [{t, v}],
 * forecast: [{t, v, lo80, hi80, lo95, hi95}], holidays: [{t, name}],
 * events: [{start, end, name, kind}], stepMs, label }.
 */
export function drawForecastChart(host, data) {
  host.replaceChildren();
  const width = Math.max(host.clientWidth, 520);
  const height = 360;
  const m = { top: 30, right: 18, bottom: 66, left: 58 };
  const times = [...data.actual.map((p) => p.t), ...data.forecast.map((p) => p.t)];
  const t0 = Math.min(...times);
  const t1 = Math.max(...times) + data.stepMs;
  const top = Math.max(1, ...data.actual.map((p) => p.v), ...data.forecast.map((p) => p.hi95));
  const step = niceStep(top, 5);
  const yMax = Math.ceil(top / step) * step;
  const x = (t) => m.left + ((t - t0) / (t1 - t0)) * (width - m.left - m.right);
  const y = (v) => height - m.bottom - (v / yMax) * (height - m.top - m.bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Actuals and forecast for ${data.label}` }, host);
  const center = data.stepMs >= DAY_MS ? data.stepMs / 2 : 0;
  const cx = (t) => x(t + center);
  drawYAxis(svg, { y, yMax, step, m, width });
  drawMarkers(svg, data, { x, m, height, t0, t1 });
  drawXAxis(svg, { x, m, height, t0, t1 });
  const gap = data.stepMs * 1.5;
  const series = el("g", { class: "series" }, svg);
  el("path", { d: bandPath(data.forecast, cx, y, "lo95", "hi95", gap), fill: COLORS.band,
    "fill-opacity": "0.25", class: "band band-95" }, series);
  el("path", { d: bandPath(data.forecast, cx, y, "lo80", "hi80", gap), fill: COLORS.band,
    "fill-opacity": "0.5", class: "band band-80" }, series);
  el("path", { d: linePath(data.actual, cx, y, gap), fill: "none", stroke: COLORS.actual,
    "stroke-width": "1.6", "stroke-linejoin": "round", class: "line line-actual" }, series);
  el("path", { d: linePath(data.forecast, cx, y, gap), fill: "none", stroke: COLORS.forecast,
    "stroke-width": "2", "stroke-linejoin": "round", class: "line line-forecast" }, series);
  if (data.forecast.length) drawCutoff(svg, x(data.forecast[0].t), m, height);
  svg.dataset.series = data.label;
  svg.dataset.actualPoints = String(data.actual.length);
  svg.dataset.forecastPoints = String(data.forecast.length);
  svg.dataset.holidays = String(data.holidays.length);
  svg.dataset.events = String(data.events.length);
  addHover(host, svg, data, { cx, m, height, width });
  return svg;
}

function drawYAxis(svg, { y, yMax, step, m, width }) {
  const axis = el("g", { class: "axis y-axis" }, svg);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    el("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: "grid" }, axis);
    el("text", { x: m.left - 8, y: y(v) + 4, "text-anchor": "end" }, axis, compact(v));
  }
  el("text", { x: 14, y: m.top + (y(0) - m.top) / 2, "text-anchor": "middle",
    transform: `rotate(-90 14 ${m.top + (y(0) - m.top) / 2})` }, axis, "Inquiries");
}

function drawXAxis(svg, { x, m, height, t0, t1 }) {
  const axis = el("g", { class: "axis x-axis" }, svg);
  const base = height - m.bottom;
  el("line", { x1: m.left, x2: x(t1), y1: base, y2: base, class: "tick" }, axis);
  const dayPx = x(t0 + DAY_MS) - x(t0);
  const every = [1, 2, 7, 14, 28].find((days) => days * dayPx >= 76) ?? 56;
  let t = Math.ceil(t0 / DAY_MS) * DAY_MS;
  if (every >= 7) t += ((8 - new Date(t).getUTCDay()) % 7) * DAY_MS;  // weeks start on Monday
  for (; t <= t1 && x(t) <= x(t1) - 24; t += every * DAY_MS) {  // none cut off at the edge
    el("line", { x1: x(t), x2: x(t), y1: base, y2: base + 5, class: "tick" }, axis);
    el("text", { x: x(t), y: base + 18, "text-anchor": "middle" }, axis, dayLabel(t));
  }
}

function drawCutoff(svg, xc, m, height) {
  const g = el("g", { class: "cutoff" }, svg);
  el("line", { x1: xc, x2: xc, y1: m.top - 6, y2: height - m.bottom, stroke: "#6b7480",
    "stroke-dasharray": "4 4" }, g);
  el("text", { x: xc + 6, y: m.top - 10, class: "cutoff-label" }, g, "forecast →");
}

/** Holidays as day bands with a label row on top; events as bars below the axis. */
function drawMarkers(svg, data, { x, m, height, t0, t1 }) {
  const g = el("g", { class: "markers" }, svg);
  let lastLabelEnd = -Infinity;
  for (const h of data.holidays) {
    if (h.t + DAY_MS < t0 || h.t > t1) continue;
    const band = el("rect", { x: x(h.t), y: m.top, width: Math.max(2, x(h.t + DAY_MS) - x(h.t)),
      height: height - m.bottom - m.top, fill: COLORS.holiday, "fill-opacity": "0.16",
      class: "holiday" }, g);
    el("title", {}, band, `${isoDay(h.t)} ${h.name}`);
    if (x(h.t) > lastLabelEnd + 8 && x(h.t) < x(t1) - 40) {
      const label = el("text", { x: x(h.t), y: m.top - 10, class: "marker-label holiday-label" },
        g, h.name.length > 14 ? `${h.name.slice(0, 13)}…` : h.name);
      el("title", {}, label, `${isoDay(h.t)} ${h.name}`);
      lastLabelEnd = x(h.t) + Math.min(h.name.length, 14) * 11;
    }
  }
  const lane = height - m.bottom + 30;
  data.events.forEach((e, i) => {
    const start = Math.max(e.start, t0);
    const end = Math.min(e.end + DAY_MS, t1);
    if (end <= start) return;
    const row = lane + (i % 2) * 16;
    el("rect", { x: x(start), y: m.top, width: x(end) - x(start),
      height: height - m.bottom - m.top, fill: COLORS.event, "fill-opacity": "0.07" }, g);
    const bar = el("rect", { x: x(start), y: row, width: Math.max(3, x(end) - x(start)),
      height: 12, rx: 3, fill: COLORS.event, "fill-opacity": "0.55", class: "event" }, g);
    el("title", {}, bar, `${e.name} (${e.kind}) ${isoDay(e.start)} – ${isoDay(e.end)}`);
    const right = x(start) > (m.left + x(t1)) / 2;  // the label goes beside the bar, inwards
    el("text", { x: right ? x(start) - 6 : x(end) + 6, y: row + 10,
      "text-anchor": right ? "end" : "start", class: "marker-label event-label" }, g,
    `${e.name} · ${e.kind}`);
  });
}

function addHover(host, svg, data, { cx, m, height, width }) {
  const byTime = new Map();
  for (const p of data.actual) byTime.set(p.t, { t: p.t, actual: p.v });
  for (const p of data.forecast) byTime.set(p.t, { ...(byTime.get(p.t) ?? { t: p.t }), fc: p });
  const points = [...byTime.values()].sort((a, b) => a.t - b.t);
  const holidays = new Map(data.holidays.map((h) => [isoDay(h.t), h.name]));
  const line = el("line", { y1: m.top, y2: height - m.bottom, class: "hover-line",
    visibility: "hidden" }, svg);
  const overlay = el("rect", { x: m.left, y: m.top, width: width - m.left - m.right,
    height: height - m.top - m.bottom, fill: "transparent" }, svg);
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  host.append(tip);
  const daily = data.stepMs >= DAY_MS;
  overlay.addEventListener("mousemove", (event) => {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    const point = nearest(points, (p) => cx(p.t), px);
    if (!point) return;
    line.setAttribute("x1", cx(point.t));
    line.setAttribute("x2", cx(point.t));
    line.setAttribute("visibility", "visible");
    tip.replaceChildren(...tooltipLines(point, { holidays, events: data.events, daily }));
    tip.hidden = false;
    const left = (cx(point.t) / width) * box.width;
    tip.style.left = `${Math.min(left + 12, box.width - 190)}px`;
    tip.style.top = `${m.top}px`;
  });
  overlay.addEventListener("mouseleave", () => {
    line.setAttribute("visibility", "hidden");
    tip.hidden = true;
  });
}

function nearest(points, position, px) {
  let best = null;
  let distance = Infinity;
  for (const p of points) {
    const d = Math.abs(position(p) - px);
    if (d < distance) { best = p; distance = d; }
  }
  return best;
}

function tooltipLines(point, { holidays, events, daily }) {
  const lines = [];
  const add = (text, tag = "div", cls = "") => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (cls) node.className = cls;
    lines.push(node);
  };
  add(dayLabel(point.t, !daily), "b");
  if (point.actual != null) add(`Actual ${formatCount(point.actual)}`);
  if (point.fc) {
    const f = point.fc;
    add(`Forecast ${formatCount(f.v)}`);
    add(`80% ${formatCount(f.lo80)}–${formatCount(f.hi80)}`);
    add(`95% ${formatCount(f.lo95)}–${formatCount(f.hi95)}`);
  }
  const holiday = holidays.get(isoDay(point.t));
  if (holiday) add(holiday, "div", "mark");
  for (const e of events) {
    if (point.t >= e.start && point.t < e.end + DAY_MS) add(`${e.name} (${e.kind})`, "div", "mark");
  }
  return lines;
}

/**
 * Draw a day x interval heatmap of `value` into `host`. `data`: { rows (staffing rows
 * with wall time `t`), days: [wall ms of local midnights], stepMinutes, holidays: Map of
 * "YYYY-MM-DD" -> name, label }.
 */
export function drawHeatmap(host, data) {
  host.replaceChildren();
  const cells = new Map(data.rows.map((r) => [r.t, r]));
  const open = data.rows.filter((r) => r.volume > 0 || r.agents_scheduled > 0);
  if (!open.length) return null;  // nothing to staff: the caller says so
  const minutes = open.map((r) => Math.round((r.t % DAY_MS) / 60000));
  const from = Math.min(...minutes);
  const to = Math.max(...minutes);
  const slots = [];
  for (let s = from; s <= to; s += data.stepMinutes) slots.push(s);
  const max = Math.max(1, ...data.rows.map((r) => r.agents_scheduled));
  const width = Math.max(host.clientWidth, 520);
  const m = { top: 24, left: 150, right: 12, bottom: 46 };
  const cellW = (width - m.left - m.right) / slots.length;
  const cellH = 24;
  const height = m.top + data.days.length * cellH + m.bottom;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Agents to schedule for ${data.label}` }, host);
  const grid = el("g", { class: "cells" }, svg);
  let filled = 0;
  data.days.forEach((day, row) => {
    const yTop = m.top + row * cellH;
    const holiday = data.holidays.get(isoDay(day));
    const label = el("text", { x: m.left - 8, y: yTop + cellH / 2 + 4, "text-anchor": "end",
      class: `day-label${holiday ? " off" : ""}` }, svg,
      holiday ? `${dayLabel(day)} · ${holiday.length > 9 ? `${holiday.slice(0, 8)}…` : holiday}`
        : dayLabel(day));
    if (holiday) el("title", {}, label, holiday);
    slots.forEach((slot, col) => {
      const cell = cells.get(day + slot * 60000);
      const value = cell ? cell.agents_scheduled : null;
      const fill = !value ? NONE_FILL : heatColor(value / max);
      const rect = el("rect", { x: m.left + col * cellW + 0.5, y: yTop + 0.5,
        width: Math.max(cellW - 1, 1), height: cellH - 1, rx: 2, fill, class: "cell" }, grid);
      if (value) filled += 1;
      rect.dataset.value = String(value ?? 0);
      el("title", {}, rect, cell ? `${dayLabel(day)} ${clockOf(slot)} · ${value} agents ` +
        `to schedule (${cell.agents} on the queue) · ${formatCount(cell.volume)} contacts`
        : `${dayLabel(day)} ${clockOf(slot)} · closed`);
      if (value && cellW >= 18) {
        el("text", { x: m.left + (col + 0.5) * cellW, y: yTop + cellH / 2 + 3.5,
          "text-anchor": "middle", class: "cell-label",
          fill: value / max > 0.55 ? "#ffffff" : "#1f2328" }, grid, String(value));
      }
    });
  });
  drawSlotAxis(svg, slots, { m, cellW });
  drawHeatLegend(svg, max, { x: m.left, y: height - 24, width: Math.min(260, width - m.left) });
  svg.dataset.series = data.label;
  svg.dataset.days = String(data.days.length);
  svg.dataset.cells = String(filled);
  svg.dataset.max = String(max);
  return svg;
}

function clockOf(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function drawSlotAxis(svg, slots, { m, cellW }) {
  const axis = el("g", { class: "axis" }, svg);
  const everyHours = cellW * (60 / Math.max(1, slots[1] - slots[0] || 60)) < 34 ? 2 : 1;
  slots.forEach((slot, col) => {
    if (slot % 60 !== 0 || (slot / 60) % everyHours !== 0) return;
    el("text", { x: m.left + col * cellW + 1, y: m.top - 8 }, axis, clockOf(slot));
  });
}

function drawHeatLegend(svg, max, { x, y, width }) {
  const g = el("g", { class: "axis heat-legend" }, svg);
  const steps = HEAT.length;
  el("text", { x: x - 8, y: y + 10, "text-anchor": "end" }, g, "Agents");
  for (let i = 0; i < steps; i += 1) {
    el("rect", { x: x + (i * width) / steps, y, width: width / steps + 0.5, height: 12,
      fill: HEAT[i] }, g);
  }
  el("text", { x, y: y + 24 }, g, "1");
  el("text", { x: x + width, y: y + 24, "text-anchor": "end" }, g, String(max));
  el("rect", { x: x + width + 16, y, width: 12, height: 12, fill: NONE_FILL, rx: 2 }, g);
  el("text", { x: x + width + 32, y: y + 10 }, g, "none / closed");
}

function heatColor(share) {
  const index = Math.min(HEAT.length - 1, Math.max(0, Math.round(share * (HEAT.length - 1))));
  return HEAT[index];
}
