// The usage page: GET /api/usage (admin key, or a signed-in host session
// where the server allows it) drawn as two inline-SVG bar charts, meeting
// hours per day and per meeting, plus a table and a CSV download. No
// chart library: the bars are plain <rect>s.
//
// The API gives totals for a window and per meeting; the per-day series
// asks for each UTC day in turn (the server clips every stay to the
// window, so the days add up exactly).

import { apiFetch, loadSession } from './ui/host.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const KEY_STORE = 'yunhui.adminKey'; // sessionStorage: gone with the tab
const MAX_DAYS = 92;
const DAY_MS = 86400000;
const PARALLEL = 4;
const TOP_MEETINGS = 15;

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const dayString = (ms) => new Date(ms).toISOString().slice(0, 10);
const hours = (minutes) => (Number(minutes) || 0) / 60;

function fmtHours(h) {
  if (h === 0) return '0';
  if (h < 0.1) return h.toFixed(3);
  if (h < 10) return h.toFixed(2);
  return h.toFixed(1);
}

/** A round axis maximum and step for values up to `max`. */
function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  return { top: step * Math.ceil(max / step), step };
}

/**
 * Vertical bars, one per {label, value}; every n-th label shown so they
 * do not overlap. Values in hours.
 */
export function columnChart(data, { width = 720, height = 240 } = {}) {
  const pad = { l: 52, r: 8, t: 10, b: 34 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img' });
  const max = Math.max(0, ...data.map((d) => d.value));
  const { top, step } = niceScale(max);
  // As many decimals as the step needs (0.25 -> 2, 0.0005 -> 4).
  const decimals = (String(Number(step.toPrecision(2))).split('.')[1] ?? '').length;
  root.append(svg('title', {}, `Meeting hours per day, highest ${fmtHours(max)} h`));
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = pad.t + h - (v / top) * h;
    root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'grid-line' }));
    root.append(svg('text', { x: pad.l - 6, y: y + 4, class: 'axis-label', 'text-anchor': 'end' }, v.toFixed(decimals)));
  }
  const slot = w / Math.max(1, data.length);
  const bw = Math.max(1, Math.min(40, slot * 0.7));
  const every = Math.ceil(data.length / Math.max(1, Math.floor(w / 64)));
  data.forEach((d, i) => {
    const bh = top ? (d.value / top) * h : 0;
    const x = pad.l + i * slot + (slot - bw) / 2;
    const bar = svg('rect', { x, y: pad.t + h - bh, width: bw, height: Math.max(bh, d.value > 0 ? 1 : 0), class: 'bar', 'data-label': d.label, 'data-value': d.value });
    bar.append(svg('title', {}, `${d.label}: ${fmtHours(d.value)} h`));
    root.append(bar);
    if (i % every === 0) root.append(svg('text', { x: pad.l + i * slot + slot / 2, y: height - 12, class: 'axis-label', 'text-anchor': 'middle' }, d.short ?? d.label));
  });
  root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: pad.t + h, y2: pad.t + h, class: 'axis-line' }));
  return root;
}

/** Horizontal bars, one row per {label, value}, largest first. */
export function barChart(data, { width = 720 } = {}) {
  const row = 26;
  const narrow = width < 500;
  const pad = { l: narrow ? 120 : 170, r: 52, t: 6, b: 6 };
  const maxChars = narrow ? 16 : 24;
  const height = pad.t + pad.b + row * Math.max(1, data.length);
  const w = width - pad.l - pad.r;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img' });
  root.append(svg('title', {}, 'Meeting hours per meeting'));
  const max = Math.max(0, ...data.map((d) => d.value));
  data.forEach((d, i) => {
    const y = pad.t + i * row;
    const bw = max ? (d.value / max) * w : 0;
    const label = d.label.length > maxChars ? `${d.label.slice(0, maxChars - 1)}…` : d.label;
    root.append(svg('text', { x: pad.l - 8, y: y + row / 2 + 4, class: 'axis-label', 'text-anchor': 'end' }, label));
    const bar = svg('rect', { x: pad.l, y: y + 4, width: Math.max(bw, d.value > 0 ? 1 : 0), height: row - 8, rx: 3, class: 'bar', 'data-label': d.label, 'data-value': d.value });
    bar.append(svg('title', {}, `${d.label}: ${fmtHours(d.value)} h`));
    root.append(bar);
    root.append(svg('text', { x: pad.l + bw + 6, y: y + row / 2 + 4, class: 'value-label' }, fmtHours(d.value)));
  });
  if (data.length === 0) root.append(svg('text', { x: width / 2, y: pad.t + row / 2 + 4, class: 'axis-label', 'text-anchor': 'middle' }, 'No meetings in this period'));
  return root;
}

// ---- data -------------------------------------------------------------------

function credentials() {
  const key = $('usage-key').value.trim();
  if (key) return key;
  return loadSession()?.token ?? null;
}

function usageUrl(from, to, format) {
  const q = new URLSearchParams({ from, to });
  if (format) q.set('format', format);
  return `/api/usage?${q}`;
}

/** Runs `fn` over `items` with at most PARALLEL at a time. */
async function pool(items, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return out;
}

async function load() {
  const err = $('usage-error');
  err.textContent = '';
  const fromMs = Date.parse(`${$('usage-from').value}T00:00:00Z`);
  const toMs = Date.parse(`${$('usage-to').value}T00:00:00Z`) + DAY_MS; // "to" day included
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    err.textContent = 'Pick a start day on or before the end day.';
    return;
  }
  const days = Math.round((toMs - fromMs) / DAY_MS);
  if (days > MAX_DAYS) {
    err.textContent = `At most ${MAX_DAYS} days at a time.`;
    return;
  }
  const token = credentials();
  if (!token) {
    err.textContent = 'Enter the admin key.';
    $('usage-key').focus();
    return;
  }
  $('usage-load').disabled = true;
  $('usage-status').textContent = 'Loading…';
  try {
    const total = await apiFetch(usageUrl(dayString(fromMs), dayString(toMs)), { token });
    const starts = Array.from({ length: days }, (_, i) => fromMs + i * DAY_MS);
    const perDay = await pool(starts, async (t) => {
      const r = await apiFetch(usageUrl(dayString(t), dayString(t + DAY_MS)), { token });
      return { label: dayString(t), short: dayString(t).slice(5), value: hours(r?.meetingMinutes) };
    });
    if ($('usage-key').value.trim()) sessionStorage.setItem(KEY_STORE, $('usage-key').value.trim());
    render(total, perDay);
    $('usage-status').textContent = `${dayString(fromMs)} to ${dayString(toMs - DAY_MS)}`;
    $('usage-csv').disabled = false;
    document.body.dataset.loaded = 'yes';
  } catch (e) {
    $('usage-status').textContent = '';
    if (e.status === 401 || e.status === 403) {
      err.textContent = 'Usage needs the admin key.';
      $('usage-key-label').hidden = false;
      $('usage-key').focus();
    } else {
      err.textContent = `Could not load usage: ${e.message}`;
    }
  } finally {
    $('usage-load').disabled = false;
  }
}

function render(total, perDay) {
  $('usage-summary').hidden = false;
  $('usage-charts').hidden = false;
  $('sum-meetings').textContent = String(total?.meetings ?? 0);
  $('sum-hours').textContent = fmtHours(hours(total?.meetingMinutes));
  $('sum-phours').textContent = fmtHours(hours(total?.participantMinutes));
  $('sum-peak').textContent = String(total?.peakParticipants ?? 0);
  const narrow = window.matchMedia('(max-width: 640px)').matches;
  const width = narrow ? 360 : 720;
  $('chart-days').replaceChildren(columnChart(perDay, { width, height: narrow ? 200 : 240 }));
  const meetings = [...(total?.byMeeting ?? [])].sort((a, b) => (b.meetingMinutes ?? 0) - (a.meetingMinutes ?? 0));
  const bars = meetings.slice(0, TOP_MEETINGS).map((m) => ({ label: m.title && m.title !== `Meeting ${m.number}` ? `${m.title} (${m.number})` : String(m.number), value: hours(m.meetingMinutes) }));
  $('chart-meetings').replaceChildren(barChart(bars, { width }));
  const body = $('usage-table').tBodies[0];
  body.replaceChildren(...meetings.map((m) => {
    const tr = document.createElement('tr');
    for (const v of [m.number, m.title ?? '', m.sessions ?? 0, fmtHours(hours(m.meetingMinutes)), fmtHours(hours(m.participantMinutes)), m.peakParticipants ?? 0]) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    return tr;
  }));
}

/** The CSV comes with the Authorization header, so fetch it and save a blob. */
async function downloadCsv() {
  const token = credentials();
  const fromMs = Date.parse(`${$('usage-from').value}T00:00:00Z`);
  const toMs = Date.parse(`${$('usage-to').value}T00:00:00Z`) + DAY_MS;
  try {
    const res = await fetch(usageUrl(dayString(fromMs), dayString(toMs), 'csv'), { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `yunhui-usage-${dayString(fromMs)}-${dayString(toMs - DAY_MS)}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    $('usage-error').textContent = `Could not download: ${e.message}`;
  }
}

function init() {
  const u = new URL(location.href);
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  $('usage-from').value = u.searchParams.get('from') ?? dayString(today - 13 * DAY_MS);
  $('usage-to').value = u.searchParams.get('to') ?? dayString(today);
  let saved = null;
  try {
    saved = sessionStorage.getItem(KEY_STORE);
  } catch {
    /* private mode */
  }
  if (saved) $('usage-key').value = saved;
  // A signed-in host is tried first; the key field stays for the admin.
  if (loadSession() && !saved) $('usage-key').placeholder = 'signed in; key if refused';
  $('usage-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    load();
  });
  $('usage-csv').addEventListener('click', downloadCsv);
  window.__usage = { load };
  if (saved || loadSession()) load();
}

init();
