// The vocast dashboard: reads the /v1 API with the user's key (kept in sessionStorage
// and sent as "Authorization: Bearer"; asked for only after a 401) and draws it.

import { clock, dayLabel, drawForecastChart, drawHeatmap, formatCount, isoDay, wallTime }
  from "./dashboard-charts.js";

const KEY_STORAGE = "vocast.apiKey";
const ALL = "";  // the channel value of all-channel series
const TOTAL = "(all)";  // the category of the published all-category totals
const DAY_MS = 86400000;
const FREQ_MINUTES = { D: 1440, "60min": 60, "30min": 30, "15min": 15 };
const FREQ_LABELS = { D: "Daily", "60min": "Hourly", "30min": "30 minutes", "15min": "15 minutes" };
const HISTORY_DAYS = { daily: 56, intraday: 7 };  // actuals shown before the forecast
const STAFFING_DAYS = 14;
const SILENCE_HOURS = [4, 24];

const $ = (id) => document.getElementById(id);
const state = { series: [], paths: null, category: null, channel: ALL, freq: "D",
  generation: 0, drawn: {} };

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---- HTTP --------------------------------------------------------------------------

function apiUrl(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) url.searchParams.set(name, value);
  }
  return url.toString();
}

let keyPrompt = null;

/** Ask for a key once, however many requests are waiting for it. */
function askForKey(message) {
  keyPrompt ??= new Promise((resolve, reject) => {
    const dialog = $("key-dialog");
    $("key-message").textContent = message;
    $("key-input").value = "";
    dialog.addEventListener("close", () => {
      keyPrompt = null;
      const key = $("key-input").value.trim();
      if (dialog.returnValue === "save" && key) {
        sessionStorage.setItem(KEY_STORAGE, key);
        $("key-button").hidden = false;
        resolve();
      } else {
        reject(new ApiError(401, "an API key is needed to read this server's data"));
      }
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
  return keyPrompt;
}

/** fetch with the stored key; on 401 ask for a key and try again. */
async function request(url, init = {}) {
  for (;;) {
    const headers = new Headers(init.headers);
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(url, { ...init, headers });
    if (response.status !== 401) return response;
    if (key) sessionStorage.removeItem(KEY_STORAGE);
    const reason = await errorMessage(response);
    await askForKey(key ? `The key was refused: ${reason}` : "This server needs an API key.");
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body?.error?.message ?? body?.detail ?? response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

async function getJson(path, params) {
  const response = await request(apiUrl(path, params), { headers: { Accept: "application/json" } });
  if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
  return response.json();
}

/** Whether the server has a route (from its OpenAPI document; assume yes without one). */
function hasRoute(path) {
  return state.paths === null || path in state.paths;
}

/** Whether GET `path` documents the query parameter `name`. */
function hasParameter(path, name) {
  const parameters = state.paths?.[path]?.get?.parameters ?? [];
  return parameters.some((p) => p.name === name);
}

async function loadRoutes() {
  try {
    const response = await fetch("/openapi.json");
    if (response.ok) state.paths = (await response.json()).paths ?? null;
  } catch {
    state.paths = null;
  }
}

// ---- selection ---------------------------------------------------------------------

const minutesOf = (freq) => FREQ_MINUTES[freq] ?? 1440;

/** Stored series of a category (every one for TOTAL), optionally of a channel and freq. */
function seriesOf(category, channel = null, freq = null) {
  return state.series.filter((s) => (category === TOTAL || s.category === category)
    && (channel === null || channel === ALL || s.channel === channel)
    && (freq === null || s.freq === freq));
}

function setOptions(select, options, wanted) {
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  const values = options.map(([value]) => value);
  select.value = values.includes(wanted) ? wanted : (values[0] ?? "");
  return select.value;
}

/** Whether the fit publishes a sum for the selection: it does for two series or more. */
function hasAggregate(category) {
  return new Set(seriesOf(category).map((s) => `${s.category}\n${s.channel}`)).size > 1
    || seriesOf(category).some((s) => s.channel === ALL);
}

function fillPickers() {
  const categories = [...new Set(state.series.map((s) => s.category))]
    .sort((a, b) => a.localeCompare(b));
  const total = hasAggregate(TOTAL) ? [[TOTAL, "All categories"]] : [];
  state.category = setOptions($("category"), [...total, ...categories.map((c) => [c, c])],
    state.category ?? categories[0]);
  const channels = [...new Set(seriesOf(state.category).map((s) => s.channel))]
    .filter(Boolean).sort();
  const all = hasAggregate(state.category) ? [[ALL, "All channels"]] : [];
  state.channel = setOptions($("channel"), [...all, ...channels.map((c) => [c, c])],
    state.channel);
  const freqs = [...new Set(["D", ...seriesOf(state.category, state.channel).map((s) => s.freq)])]
    .sort((a, b) => minutesOf(b) - minutesOf(a));
  state.freq = setOptions($("freq"), freqs.map((f) => [f, FREQ_LABELS[f] ?? f]), state.freq);
}

function readHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  state.category = params.get("category") ?? state.category;
  state.channel = params.get("channel") ?? state.channel;
  state.freq = params.get("freq") ?? state.freq;
}

function writeHash() {
  const params = new URLSearchParams({ category: state.category, channel: state.channel,
    freq: state.freq });
  window.history.replaceState(null, "", `#${params}`);
}

/** The last observed interval of the selection at `freq` (wall ms), or null. */
function lastObserved(freq) {
  const stamps = seriesOf(state.category, state.channel, freq).map((s) => wallTime(s.last_ts));
  return stamps.length ? Math.max(...stamps) : null;
}

function label() {
  const category = state.category === TOTAL ? "all categories" : state.category;
  return `${category} · ${state.channel || "all channels"}`;
}

// ---- page sections -----------------------------------------------------------------

function message(host, text, warn = false) {
  const p = document.createElement("p");
  p.className = warn ? "empty warn" : "empty";
  p.textContent = text;
  host.replaceChildren(p);
}

function setTile(id, value, note = "") {
  $(id).querySelector(".value").textContent = value;
  $(id).querySelector(".note").textContent = note;
}

function setCsv(id, path, params) {
  $(id).href = apiUrl(path, { ...params, format: "csv" });
}

function seriesParams(freq) {
  return { category: state.category, channel: state.channel, freq };
}

async function loadChart(generation) {
  const host = $("chart");
  const { freq } = state;
  const daily = freq === "D";
  const stepMs = minutesOf(freq) * 60000;
  let body;
  try {
    body = await getJson("/v1/forecasts", seriesParams(freq));
  } catch (error) {
    if (generation !== state.generation) return;
    message(host, error.status === 404 ? "No forecast is published yet: run vocast fit."
      : `Forecast unavailable: ${error.message}`, error.status !== 404);
    return;
  }
  $("run-info").textContent = `Forecast run ${body.run_id}`;
  const lastSeen = lastObserved(freq) ?? lastObserved(finestIntraday()) ?? -Infinity;
  const forecast = body.rows.map((r) => ({ t: wallTime(r.ts), v: r.yhat, lo80: r.lo80,
    hi80: r.hi80, lo95: r.lo95, hi95: r.hi95 })).filter((p) => p.t > lastSeen);
  if (!forecast.length) {
    if (generation === state.generation) message(host, `No forecast rows for ${label()}.`);
    return;
  }
  const anchor = Number.isFinite(lastSeen) ? lastSeen : forecast[0].t;
  const start = Math.floor(anchor / DAY_MS) * DAY_MS
    - ((daily ? HISTORY_DAYS.daily : HISTORY_DAYS.intraday) - 1) * DAY_MS;
  const end = Math.floor(forecast.at(-1).t / DAY_MS) * DAY_MS + DAY_MS;
  let loaded;
  try {
    loaded = await Promise.all([loadActuals(freq, start), loadHolidays(start, end),
      loadEvents(start, end)]);
  } catch (error) {
    if (generation === state.generation) message(host, `Actuals unavailable: ${error.message}`, true);
    return;
  }
  if (generation !== state.generation) return;
  const [actual, holidays, events] = loaded;
  const data = { actual, forecast, holidays, events, stepMs, label: `${label()} · ${freq}` };
  state.drawn.chart = data;
  drawForecastChart(host, data);
  $("chart-sub").textContent = `${label()} · ${FREQ_LABELS[freq] ?? freq} · `
    + `${dayLabel(start)} – ${dayLabel(end - DAY_MS)}`;
  setCsv("csv-forecast", "/v1/forecasts", seriesParams(freq));
  setCsv("csv-holidays", "/v1/calendar", { start: isoDay(start), end: isoDay(end) });
  showForecastTiles(actual, forecast, daily);
}

/** Actual counts from `start` at `freq`; summed over channels, or from intraday to days. */
async function loadActuals(freq, start) {
  const stored = seriesOf(state.category, state.channel, freq).length > 0;
  const source = stored || freq !== "D" ? freq : finestIntraday();
  const ownTotal = state.category !== TOTAL
    && seriesOf(state.category, null, source).some((s) => s.channel === ALL);
  const params = { category: state.category === TOTAL ? null : state.category, freq: source,
    start: isoDay(start), channel: state.channel === ALL && !ownTotal ? null : state.channel };
  setCsv("csv-actuals", "/v1/observations", params);
  if (!source) return [];
  const body = await getJson("/v1/observations", params);
  const sums = new Map();
  for (const row of body.rows) {
    let t = wallTime(row.ts);
    if (source !== freq) t = Math.floor(t / DAY_MS) * DAY_MS;
    sums.set(t, (sums.get(t) ?? 0) + row.count);
  }
  return [...sums].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
}

async function loadHolidays(start, end) {
  if (!hasRoute("/v1/calendar")) return [];
  try {
    const body = await getJson("/v1/calendar", { start: isoDay(start), end: isoDay(end) });
    return body.holidays.map((h) => ({ t: wallTime(h.date), name: h.name }));
  } catch {
    return [];  // markers are a help, not a reason to fail the chart
  }
}

async function loadEvents(start, end) {
  try {
    const category = state.category === TOTAL ? null : state.category;
    const rows = await getJson("/v1/events", { category });
    return rows.map((e) => ({ start: wallTime(e.start), end: wallTime(e.end), name: e.name,
      kind: e.kind })).filter((e) => e.end + DAY_MS > start && e.start < end);
  } catch {
    return [];
  }
}

function showForecastTiles(actual, forecast, daily) {
  const week = forecast[0].t + 7 * DAY_MS;
  const next = forecast.filter((p) => p.t < week).reduce((sum, p) => sum + p.v, 0);
  const cutoff = forecast[0].t - 7 * DAY_MS;
  const last = actual.filter((p) => p.t >= cutoff).reduce((sum, p) => sum + p.v, 0);
  const change = last > 0 ? `${next >= last ? "+" : ""}${Math.round((next / last - 1) * 100)}% vs last 7 days` : "";
  setTile("kpi-next", formatCount(next), change);
  const peak = forecast.reduce((best, p) => (p.v > best.v ? p : best), forecast[0]);
  setTile("kpi-peak", formatCount(peak.v), `${dayLabel(peak.t, !daily)} · 80% up to ${formatCount(peak.hi80)}`);
}

function finestIntraday() {
  const freqs = seriesOf(state.category, state.channel).map((s) => s.freq).filter((f) => f !== "D");
  return freqs.sort((a, b) => minutesOf(a) - minutesOf(b))[0] ?? null;
}

async function loadStaffing(generation) {
  const host = $("heatmap");
  const freq = finestIntraday();
  if (!hasRoute("/v1/staffing")) {
    message(host, "Staffing unavailable: this server has no staffing API.", true);
    setTile("kpi-agents", "–", "staffing unavailable");
    return;
  }
  if (!freq) {
    message(host, `Staffing needs interval data; ${label()} has daily counts only.`);
    setTile("kpi-agents", "–", "no interval forecast");
    return;
  }
  const step = minutesOf(freq) * 60000;
  const last = lastObserved(freq);
  const from = Math.floor((last + step) / DAY_MS) * DAY_MS;
  const until = from + (STAFFING_DAYS + 1) * DAY_MS;  // a spare day: today may be over
  let body;
  let holidays;
  try {
    [body, holidays] = await Promise.all([
      getJson("/v1/staffing", { ...seriesParams(freq), start: isoDay(from), end: isoDay(until) }),
      loadHolidays(from, until)]);
  } catch (error) {
    if (generation !== state.generation) return;
    message(host, `Staffing unavailable: ${error.message}`, true);
    setTile("kpi-agents", "–", "staffing unavailable");
    return;
  }
  if (generation !== state.generation) return;
  const rows = body.rows.map((r) => ({ ...r, t: wallTime(r.ts) })).filter((r) => r.t > last);
  const busy = rows.find((r) => r.volume > 0);
  const first = busy ? Math.floor(busy.t / DAY_MS) * DAY_MS : from;  // the next open day
  const end = first + STAFFING_DAYS * DAY_MS;
  setCsv("csv-staffing", "/v1/staffing",
    { ...seriesParams(freq), start: isoDay(first), end: isoDay(end) });
  drawStaffing(host, rows.filter((r) => r.t < end), { first, freq, holidays });
}

function drawStaffing(host, rows, { first, freq, holidays }) {
  const days = Array.from({ length: STAFFING_DAYS }, (_, i) => first + i * DAY_MS);
  const data = { rows, days, stepMinutes: minutesOf(freq), label: `${label()} · ${freq}`,
    holidays: new Map(holidays.map((h) => [isoDay(h.t), h.name])) };
  state.drawn.heatmap = data;
  if (!drawHeatmap(host, data)) {
    message(host, `No contacts are forecast for ${label()} in these 14 days.`);
    setTile("kpi-agents", "0", "");
    return;
  }
  $("staffing-sub").textContent = `${label()} · per ${FREQ_LABELS[freq].toLowerCase()}`
    + ` · ${dayLabel(days[0])} – ${dayLabel(days.at(-1))} · including shrinkage`;
  const peak = rows.reduce((best, r) => (r.agents_scheduled > best.agents_scheduled ? r : best),
    rows[0]);
  setTile("kpi-agents", formatCount(peak.agents_scheduled), `${dayLabel(peak.t)} ${clock(peak.t)}`);
}

// ---- alerts ------------------------------------------------------------------------

const ALERT_CSV_COLUMNS = ["id", "rule", "state", "category", "channel", "freq", "window_start",
  "window_end", "peak_ts", "volume", "baseline", "ratio", "agents_needed", "agents_planned",
  "summary"];

async function loadAlerts(generation) {
  const host = $("alerts");
  if (!hasRoute("/v1/alerts")) {
    message(host, "Alerts unavailable: this server has no alerts API.", true);
    setTile("kpi-alerts", "–", "alerts unavailable");
    return;
  }
  let alerts;
  try {
    alerts = (await getJson("/v1/alerts", { state: "firing" })).alerts;
  } catch (error) {
    if (generation === state.generation) message(host, `Alerts unavailable: ${error.message}`, true);
    setTile("kpi-alerts", "–", "alerts unavailable");
    return;
  }
  if (generation !== state.generation) return;
  offerAlertsCsv(alerts);
  const mine = alerts.filter(isSelected);
  setTile("kpi-alerts", String(alerts.length),
    state.category === TOTAL ? "" : `${mine.length} for ${state.category}`);
  if (!alerts.length) {
    message(host, "No alerts are firing.");
    return;
  }
  const list = document.createElement("ul");
  list.className = "alert-list";
  list.append(...[...mine, ...alerts.filter((a) => !isSelected(a))].map(alertItem));
  host.replaceChildren(list);
}

function isSelected(alert) {
  return alert.category === state.category
    && (state.channel === ALL || alert.channel === state.channel);
}

/** The server's CSV when GET /v1/alerts takes `format`; else this list as CSV. */
function offerAlertsCsv(alerts) {
  const link = $("csv-alerts");
  if (hasParameter("/v1/alerts", "format")) {
    setCsv("csv-alerts", "/v1/alerts", { state: "firing" });
    delete link.dataset.local;
    return;
  }
  const quote = (value) => `"${String(value ?? "").replaceAll('"', '""')}"`;
  const lines = alerts.map((a) => ALERT_CSV_COLUMNS.map((c) => quote(a[c])).join(","));
  state.alertsCsv = [ALERT_CSV_COLUMNS.join(","), ...lines].join("\n") + "\n";
  link.href = "#alerts";
  link.dataset.local = "vocast-alerts-firing.csv";
}

function alertItem(alert) {
  const item = document.createElement("li");
  const ahead = alert.rule === "ahead_peak";
  item.className = `alert ${ahead ? "ahead" : "breakout"}${isSelected(alert) ? " current" : ""}`;
  item.dataset.alertId = String(alert.id);
  const title = document.createElement("div");
  title.className = "title";
  const series = `${alert.category === TOTAL ? "all categories" : alert.category}`
    + `${alert.channel ? ` · ${alert.channel}` : ""}`;
  title.textContent = `${ahead ? "Peak ahead" : "Breakout now"}: ${series}`;
  title.title = `${alert.window_start} – ${alert.window_end}`;
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const hours of SILENCE_HOURS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `Silence ${hours < 24 ? `${hours} h` : `${hours / 24} day`}`;
    button.title = `Mute ${ahead ? "peak" : "breakout"} alerts of ${series} for ${hours} hours`;
    button.addEventListener("click", () => silence(alert, hours, actions));
    actions.append(button);
  }
  const summary = document.createElement("div");
  summary.className = "summary";
  summary.textContent = alert.summary;
  item.append(title, actions, summary);
  return item;
}

/** Mute this alert's rule on its series (channel "" = the all-channel series only). */
async function silence(alert, hours, actions) {
  for (const button of actions.querySelectorAll("button")) button.disabled = true;
  const until = new Date(Date.now() + hours * 3600000).toISOString();
  const body = { category: alert.category, channel: alert.channel ?? ALL, rule: alert.rule,
    until, comment: "silenced from the dashboard" };
  const response = await request(apiUrl("/v1/silences"), { method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body) });
  if (!response.ok) {
    toast(`Could not silence: ${await errorMessage(response)}`);
    for (const button of actions.querySelectorAll("button")) button.disabled = false;
    return;
  }
  const done = document.createElement("span");
  done.className = "silenced";
  done.textContent = `Silenced until ${new Date(until).toLocaleString()}`;
  actions.replaceChildren(done);
}

// ---- accuracy ----------------------------------------------------------------------

const percent = (value) => (value == null ? "–" : `${(value * 100).toFixed(1)}%`);

async function loadAccuracy(generation) {
  const host = $("accuracy");
  const params = { category: state.category === TOTAL ? null : state.category };
  setCsv("csv-accuracy", "/v1/accuracy", params);
  let body;
  try {
    body = await getJson("/v1/accuracy", params);
  } catch (error) {
    if (generation !== state.generation) return;
    message(host, error.status === 404 ? "No forecast run is published yet."
      : `Accuracy unavailable: ${error.message}`, error.status !== 404);
    setTile("kpi-wape", "–", "");
    return;
  }
  if (generation !== state.generation) return;
  const rows = body.series.filter((s) => state.channel === ALL || (s.channel ?? ALL) === state.channel);
  const current = rows.find(isCurrent);
  const summed = state.channel === ALL && hasAggregate(state.category);
  setTile("kpi-wape", current ? percent(current.wape) : "–", current
    ? `${current.model} · ${current.folds} folds`
    : (summed && rows.length ? "a sum: see its series below" : "no backtest for this series"));
  if (!rows.length) {
    message(host, `No backtest for ${label()}: series forecast by a fixed model `
      + "(not auto) are not backtested.");
    return;
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.append(accuracyTable(rows));
  host.replaceChildren(wrap);
}

function isCurrent(s) {
  return s.category === state.category && (s.channel ?? ALL) === state.channel
    && s.freq === state.freq;
}

function accuracyTable(rows) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const text of ["Series", "Interval", "Model", "WAPE", "80% in", "95% in",
    "vs naive"]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.append(th);
  }
  const tbody = table.createTBody();
  for (const s of rows) {
    const row = tbody.insertRow();
    if (isCurrent(s)) row.className = "current";
    const gain = s.improvement_vs_seasonal_naive;
    const cells = [`${s.category} · ${s.channel ?? "all channels"}`,
      FREQ_LABELS[s.freq] ?? s.freq, s.model, percent(s.wape),
      percent(s.coverage80), percent(s.coverage95),
      gain == null ? "–" : `${gain >= 0 ? "−" : "+"}${Math.abs(gain * 100).toFixed(0)}%`];
    cells.forEach((text, i) => {
      const cell = row.insertCell();
      cell.textContent = text;
      if (i === 0) cell.className = "series";
      if (i === 2) cell.className = "model";
      if (i === 4) cell.className = coverageClass(s.coverage80, 0.8);
      if (i === 5) cell.className = coverageClass(s.coverage95, 0.95);
      if (i === 6 && gain != null) cell.className = gain >= 0 ? "good" : "poor";
    });
  }
  return table;
}

function coverageClass(value, target) {
  if (value == null) return "";
  return Math.abs(value - target) <= 0.1 ? "good" : "poor";
}

// ---- wiring ------------------------------------------------------------------------

let toastTimer = null;

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

async function refresh() {
  fillPickers();
  writeHash();
  const generation = ++state.generation;
  document.body.dataset.state = "loading";
  $("status").textContent = "Loading…";
  for (const tile of document.querySelectorAll(".kpi")) setTile(tile.id, "–");
  const results = await Promise.allSettled([loadChart(generation), loadStaffing(generation),
    loadAlerts(generation), loadAccuracy(generation)]);
  if (generation !== state.generation) return;
  const failed = results.filter((r) => r.status === "rejected");
  $("status").textContent = failed.length ? failed[0].reason.message : "";
  document.body.dataset.state = "ready";
}

async function download(link) {
  if (link.dataset.local) {
    save(new Blob([state.alertsCsv ?? ""], { type: "text/csv;charset=utf-8" }), link.dataset.local);
    return;
  }
  const response = await request(link.href, { headers: { Accept: "text/csv" } });
  if (!response.ok) {
    toast(`Download failed: ${await errorMessage(response)}`);
    return;
  }
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `vocast-${link.id.slice(4)}.csv`;
  save(await response.blob(), name);
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function redraw() {
  if (state.drawn.chart && $("chart").querySelector("svg")) drawForecastChart($("chart"), state.drawn.chart);
  if (state.drawn.heatmap && $("heatmap").querySelector("svg")) drawHeatmap($("heatmap"), state.drawn.heatmap);
}

function wire() {
  for (const id of ["category", "channel", "freq"]) {
    $(id).addEventListener("change", (event) => {
      state[id] = event.target.value;
      refresh();
    });
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-csv]");
    if (!link) return;
    event.preventDefault();
    download(link).catch((error) => toast(`Download failed: ${error.message}`));
  });
  $("key-button").hidden = !sessionStorage.getItem(KEY_STORAGE);
  $("key-button").addEventListener("click", () => {
    askForKey("Enter the API key to use in this tab.").then(refresh, () => {});
  });
  window.addEventListener("hashchange", () => {
    readHash();
    refresh();
  });
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(redraw, 150);
  });
}

async function start() {
  wire();
  readHash();
  await loadRoutes();
  try {
    state.series = (await getJson("/v1/series")).map((s) => ({ ...s, channel: s.channel ?? ALL }));
  } catch (error) {
    $("status").textContent = `Could not load series: ${error.message}`;
    document.body.dataset.state = "error";
    return;
  }
  if (!state.series.length) {
    $("status").textContent = "No data yet: load inquiries (vocast ingest) and run vocast fit.";
    document.body.dataset.state = "empty";
    return;
  }
  await refresh();
}

start();
