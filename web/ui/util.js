// Small DOM helpers shared by the page modules: element lookup, the banner,
// error texts, names to initials and colours, media element playback.

export const $ = (id) => document.getElementById(id);

/** Creates an element: h('button', {class: 'x', type: 'button', onclick}, 'text', child…). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const ERROR_TEXT = {
  'not-found': 'There is no meeting with this number.',
  'bad-passcode': 'The passcode is wrong.',
  locked: 'The meeting is locked.',
  full: 'The meeting is full.',
  ended: 'The meeting has ended.',
  denied: 'The host did not let you in.',
  unauthorized: 'This invitation link is not valid or has expired.',
  forbidden: 'Your role does not allow that.',
  busy: 'Someone else is sharing a screen.',
  'bad-request': 'The server did not understand a request from this page.',
  timeout: 'The server did not answer in time. Check your connection and try again.',
  network: 'Cannot reach the meeting server. Check your connection and try again.',
  NotAllowedError: 'Camera and microphone access was refused. You are in the meeting but others cannot see or hear you.',
  NotFoundError: 'No camera or microphone was found. You are in the meeting but others cannot see or hear you.',
  NotReadableError: 'The camera or microphone is in use by another program.',
};

export function describeError(e) {
  const code = e?.code && ERROR_TEXT[e.code] ? e.code : e?.name;
  const text = ERROR_TEXT[code];
  if (text) return text;
  return e?.message ? `Error: ${e.message}` : 'Something went wrong.';
}

// ---- banner ----------------------------------------------------------------

let bannerTimer = null;
let bannerAction = null;

/** One message at the top; `action` adds a button {label, run}. */
export function showBanner(text, { kind = 'error', timeoutMs = 0, action = null } = {}) {
  const b = $('banner');
  $('banner-text').textContent = text;
  b.dataset.kind = kind;
  b.hidden = false;
  const btn = $('banner-action');
  bannerAction = action;
  btn.hidden = !action;
  if (action) btn.textContent = action.label;
  clearTimeout(bannerTimer);
  if (timeoutMs) bannerTimer = setTimeout(hideBanner, timeoutMs);
}

export function hideBanner() {
  $('banner').hidden = true;
  bannerAction = null;
}

export function initBanner() {
  $('banner-close').addEventListener('click', hideBanner);
  $('banner-action').addEventListener('click', () => {
    const a = bannerAction;
    hideBanner();
    a?.run();
  });
}

// ---- names -----------------------------------------------------------------

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]][0] ?? '?';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + second).toUpperCase();
}

/** A stable hue per name so placeholders are told apart. */
export function hue(name) {
  let x = 0;
  for (const ch of String(name)) x = (x * 31 + ch.codePointAt(0)) % 360;
  return x;
}

/** A raised hand (emoji fonts are missing on many systems). */
export const HAND_SVG = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 7a1.5 1.5 0 0 0-3 0v5h-1V4a1.5 1.5 0 0 0-3 0v8h-1V2.5a1.5 1.5 0 0 0-3 0V12H9V5a1.5 1.5 0 0 0-3 0v10.2l-2.3-2.4a1.5 1.5 0 0 0-2.2 2l4.8 5.6A5 5 0 0 0 10 22h6a5 5 0 0 0 5-5z"/></svg>';

/** A span holding the hand icon. */
export function handIcon(cls = 'hand') {
  const s = h('span', { class: cls, title: 'Hand raised' });
  s.innerHTML = HAND_SVG;
  return s;
}

export const ROLE_TEXT = { host: 'Host', cohost: 'Co-host', speaker: 'Speaker', attendee: 'Attendee' };

export function formatNumber(num) {
  return String(num ?? '').replace(/^(\d{3})(\d{3})(\d{3,})$/, '$1 $2 $3');
}

// ---- media elements ----------------------------------------------------------

export function playMedia(el) {
  const p = el.play();
  if (p && p.catch) {
    p.catch((e) => {
      if (e.name === 'NotAllowedError') {
        showBanner('Your browser blocked sound. Click anywhere to hear the meeting.', { kind: 'info' });
        document.addEventListener('click', () => {
          document.querySelectorAll('audio, video').forEach((m) => m.play().catch(() => {}));
          hideBanner();
        }, { once: true });
      }
    });
  }
}

/** True on a phone-sized screen (the CSS breakpoint). */
export function isNarrow() {
  return window.matchMedia('(max-width: 640px)').matches;
}
