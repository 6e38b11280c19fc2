// The Yunhui meeting page: join form, video grid, controls. All protocol and
// media work is in yunhui.js; this file only renders.

import { YunhuiClient, normalizeMeetingNumber } from './yunhui.js';

const $ = (id) => document.getElementById(id);
const NAME_KEY = 'yunhui.name';

const ERROR_TEXT = {
  'not-found': 'There is no meeting with this number.',
  'bad-passcode': 'The passcode is wrong.',
  locked: 'The meeting is locked.',
  full: 'The meeting is full.',
  ended: 'The meeting has ended.',
  denied: 'The host did not let you in.',
  unauthorized: 'You are not allowed to do that.',
  forbidden: 'Only hosts can do that.',
  'bad-request': 'The server did not understand a request from this page.',
  timeout: 'The server did not answer in time. Check your connection and try again.',
  network: 'Cannot reach the meeting server. Check your connection and try again.',
  NotAllowedError: 'Camera and microphone access was refused. You are in the meeting but others cannot see or hear you.',
  NotFoundError: 'No camera or microphone was found. You are in the meeting but others cannot see or hear you.',
  NotReadableError: 'The camera or microphone is in use by another program.',
};

function describeError(e) {
  const code = e?.code && ERROR_TEXT[e.code] ? e.code : e?.name;
  const text = ERROR_TEXT[code];
  if (text) return text;
  return e?.message ? `Error: ${e.message}` : 'Something went wrong.';
}

// ---- state exposed for tests (tests/e2e) ----------------------------------

const yh = {
  client: null,
  state: 'idle', // idle|joining|joined|left|error
  metrics: { joinClickedAt: null, joinedAt: null, publishedAt: null, firstRemoteFrameAt: {} },
  async inboundStats() {
    return yh.client ? yh.client.inboundStats() : [];
  },
  async outboundStats() {
    return yh.client ? yh.client.outboundStats() : [];
  },
  /** The rendered tiles: [{participant, name, video:'on'|'off', frames:bool}]. */
  tiles() {
    return [...document.querySelectorAll('#grid .tile')].map((t) => ({
      participant: t.dataset.participant,
      name: t.dataset.name,
      video: t.dataset.video,
      rendering: t.dataset.rendering === 'yes',
    }));
  },
};
window.__yh = yh;

function setState(s) {
  yh.state = s;
  document.body.dataset.state = s;
}
setState('idle');

// ---- banner --------------------------------------------------------------

let bannerTimer = null;
function showBanner(text, { kind = 'error', timeoutMs = 0 } = {}) {
  const b = $('banner');
  $('banner-text').textContent = text;
  b.dataset.kind = kind;
  b.hidden = false;
  clearTimeout(bannerTimer);
  if (timeoutMs) bannerTimer = setTimeout(hideBanner, timeoutMs);
}
function hideBanner() {
  $('banner').hidden = true;
}
$('banner-close').addEventListener('click', hideBanner);

// ---- helpers -------------------------------------------------------------

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]][0] ?? '?';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] : '';
  return (first + second).toUpperCase();
}

// A stable hue per name so placeholders are told apart.
function hue(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function playMedia(el) {
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

// ---- tiles ---------------------------------------------------------------

/** participant id -> {el, video, audios: Map(trackId -> audio el), videoTrackId, videoOn} */
const tiles = new Map();

function tileFor(participant) {
  let t = tiles.get(participant.id);
  if (t) return t;
  const el = document.createElement('div');
  el.className = 'tile';
  el.dataset.participant = participant.id;
  el.dataset.video = 'off';
  el.dataset.rendering = 'no';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // sound plays through the audio elements
  const ph = document.createElement('div');
  ph.className = 'placeholder';
  const ini = document.createElement('span');
  ini.className = 'initials';
  ph.append(ini);
  const label = document.createElement('div');
  label.className = 'name-label';
  const mic = document.createElement('span');
  mic.className = 'mic-state';
  mic.setAttribute('aria-hidden', 'true');
  mic.innerHTML = '<svg viewBox="0 0 24 24"><path d="M19 11h-2a5 5 0 0 1-.6 2.4l1.5 1.5A7 7 0 0 0 19 11zM15 11V5a3 3 0 0 0-5.9-.8L15 10.1V11zM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.4 2.6l1.6 1.6A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 3.5-1.3l3.2 3.2L21 18.5z"/></svg>';
  const name = document.createElement('span');
  name.className = 'name';
  label.append(mic, name);
  el.append(video, ph, label);
  t = { id: participant.id, el, video, ini, nameEl: name, audios: new Map(), videoTrackId: null, videoOn: null, audioOn: null, firstFrame: false };
  tiles.set(participant.id, t);
  $('grid').append(el);
  updateTile(t, participant);
  layoutGrid();
  return t;
}

function removeTile(id) {
  const t = tiles.get(id);
  if (!t) return;
  t.video.srcObject = null;
  for (const a of t.audios.values()) {
    a.srcObject = null;
    a.remove();
  }
  t.el.remove();
  tiles.delete(id);
  layoutGrid();
}

function updateTile(t, participant) {
  if (participant) {
    t.participant = participant;
    const name = participant.name || 'Guest';
    t.el.dataset.name = name;
    t.nameEl.textContent = name;
    t.ini.textContent = initials(name);
    t.el.style.setProperty('--hue', hue(name));
    t.el.dataset.role = participant.role ?? '';
    // Take the participant's flags only when they change, so an unrelated
    // update (a raised hand) does not override a newer track-updated.
    if (t.lastVideoMuted !== participant.videoMuted) {
      t.lastVideoMuted = participant.videoMuted;
      if (typeof participant.videoMuted === 'boolean') t.videoOn = !participant.videoMuted;
    }
    if (t.lastAudioMuted !== participant.audioMuted) {
      t.lastAudioMuted = participant.audioMuted;
      if (typeof participant.audioMuted === 'boolean') t.audioOn = !participant.audioMuted;
    }
  }
  const video = t.videoTrackId !== null && t.videoOn !== false;
  t.el.dataset.video = video ? 'on' : 'off';
  t.el.dataset.audio = t.audioOn === false || t.audios.size === 0 ? 'off' : 'on';
}

function layoutGrid() {
  const n = tiles.size;
  const grid = $('grid');
  grid.dataset.count = String(n);
  grid.dataset.cols = String(n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4);
  grid.dataset.phoneCols = String(n <= 3 ? 1 : 2);
  $('alone').hidden = n > 0;
  updateCount();
}

function updateCount() {
  const n = yh.client ? Math.max(yh.client.participants.size, tiles.size + 1) : tiles.size + 1;
  $('participant-count').textContent = String(n);
  $('participant-count').title = `${n} participant${n === 1 ? '' : 's'}`;
}

function watchFirstFrame(t) {
  const v = t.video;
  const mark = () => {
    t.el.dataset.rendering = 'yes';
    if (!t.firstFrame) {
      t.firstFrame = true;
      if (yh.metrics.firstRemoteFrameAt[t.id] === undefined) yh.metrics.firstRemoteFrameAt[t.id] = performance.now();
    }
  };
  if (typeof v.requestVideoFrameCallback === 'function') v.requestVideoFrameCallback(mark);
  else v.addEventListener('playing', mark, { once: true });
}

function attachRemote(r) {
  const client = yh.client;
  const p = client.participants.get(r.participantId) ?? { id: r.participantId, name: '' };
  if (client.self && r.participantId === client.self.id) return; // own tracks
  const t = tileFor(p);
  const info = client.tracks.get(r.trackId) ?? r.info;
  if (r.kind === 'audio') {
    let a = t.audios.get(r.trackId);
    if (!a) {
      a = document.createElement('audio');
      a.autoplay = true;
      t.audios.set(r.trackId, a);
      t.el.append(a);
    }
    a.srcObject = r.stream;
    playMedia(a);
    if (info && typeof info.muted === 'boolean') t.audioOn = !info.muted;
  } else {
    t.videoTrackId = r.trackId;
    t.el.dataset.source = info?.source ?? 'camera';
    t.video.srcObject = r.stream;
    playMedia(t.video);
    watchFirstFrame(t);
    if (info && typeof info.muted === 'boolean') t.videoOn = !info.muted;
  }
  updateTile(t);
}

function detachRemote({ trackId, participantId, kind }) {
  const t = tiles.get(participantId);
  if (!t) return;
  if (kind === 'audio') {
    const a = t.audios.get(trackId);
    if (a) {
      a.srcObject = null;
      a.remove();
      t.audios.delete(trackId);
    }
  } else if (t.videoTrackId === trackId) {
    t.videoTrackId = null;
    t.video.srcObject = null;
    t.el.dataset.rendering = 'no';
  }
  updateTile(t);
}

function onTrackUpdated(track) {
  const t = tiles.get(track.participant);
  if (!t || typeof track.muted !== 'boolean') return;
  if (track.kind === 'video' && track.id === t.videoTrackId) t.videoOn = !track.muted;
  if (track.kind === 'audio') t.audioOn = !track.muted;
  updateTile(t);
}

// ---- status --------------------------------------------------------------

const STATE_TEXT = {
  idle: 'idle',
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  failed: 'failed',
  closed: 'closed',
};

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function combinedMedia(m) {
  const states = [m.publisher, m.subscriber].filter((s) => s !== 'idle');
  if (states.length === 0) return 'connecting';
  for (const s of ['failed', 'reconnecting', 'connecting', 'closed']) if (states.includes(s)) return s;
  return 'connected';
}

function renderStatus() {
  const c = yh.client;
  if (!c) return;
  const sig = c.signalingState;
  const m = c.mediaState();
  const media = combinedMedia(m);
  const el = $('conn-state');
  el.dataset.signaling = sig;
  el.dataset.media = media;
  let overall = media;
  if (sig !== 'connected') overall = sig === 'closed' ? 'failed' : sig;
  el.dataset.state = overall;
  $('conn-text').textContent = `Signaling ${STATE_TEXT[sig] ?? sig} · Media ${STATE_TEXT[media] ?? media}`;
  el.title = `Signaling: ${sig}; sending: ${m.publisher}; receiving: ${m.subscriber}`;
  let short = 'Connected';
  if (sig !== 'connected') short = `${sig === 'closed' ? 'Disconnected' : cap(STATE_TEXT[sig] ?? sig)}`;
  else if (media !== 'connected') short = `Media ${STATE_TEXT[media] ?? media}`;
  $('conn-short').textContent = short;
}

// ---- controls ------------------------------------------------------------

function renderControls() {
  const c = yh.client;
  const micOff = !c || c.isMuted('microphone');
  const camOff = !c || c.isMuted('camera');
  const mic = $('mic-button');
  const cam = $('cam-button');
  mic.setAttribute('aria-pressed', String(micOff));
  cam.setAttribute('aria-pressed', String(camOff));
  mic.title = micOff ? 'Unmute microphone' : 'Mute microphone';
  cam.title = camOff ? 'Turn camera on' : 'Turn camera off';
  mic.querySelector('.label').textContent = micOff ? 'Unmute' : 'Mute';
  cam.querySelector('.label').textContent = camOff ? 'Start video' : 'Stop video';
  const hasAudio = !!c?.localStream?.getAudioTracks().length;
  const hasVideo = !!c?.localStream?.getVideoTracks().length;
  mic.disabled = !hasAudio;
  cam.disabled = !hasVideo;
  $('self-tile').dataset.video = hasVideo && !camOff ? 'on' : 'off';
}

async function toggle(source) {
  const c = yh.client;
  if (!c) return;
  const muted = !c.isMuted(source);
  try {
    const p = c.setMuted(source, muted);
    renderControls();
    await p;
  } catch (e) {
    showBanner(`Could not ${muted ? 'mute' : 'unmute'} the ${source}: ${describeError(e)}`);
  }
  renderControls();
}

$('mic-button').addEventListener('click', () => toggle('microphone'));
$('cam-button').addEventListener('click', () => toggle('camera'));
$('leave-button').addEventListener('click', () => leave('You left the meeting.'));
$('rejoin-button').addEventListener('click', () => {
  $('left-view').hidden = true;
  $('join-view').hidden = false;
  startJoin();
});
$('copy-link').addEventListener('click', async () => {
  const url = `${location.origin}${location.pathname}?m=${encodeURIComponent(yh.client?.meeting?.number ?? $('meeting-number').dataset.number ?? '')}`;
  try {
    await navigator.clipboard.writeText(url);
    showBanner('Invite link copied.', { kind: 'info', timeoutMs: 2500 });
  } catch {
    showBanner(`Invite link: ${url}`, { kind: 'info' });
  }
});

// ---- join / leave --------------------------------------------------------

function readUrl() {
  const u = new URL(location.href);
  let meeting = u.searchParams.get('m') ?? u.searchParams.get('meeting');
  if (!meeting && u.hash.length > 1) meeting = decodeURIComponent(u.hash.slice(1));
  return {
    meeting: meeting ?? '',
    name: u.searchParams.get('name'),
    autojoin: u.searchParams.get('autojoin') === '1',
    passcode: u.searchParams.get('pwd') ?? u.searchParams.get('passcode') ?? undefined,
    token: u.searchParams.get('token') ?? undefined,
  };
}

function wireClient(c) {
  c.on('signaling-state', renderStatus);
  c.on('media-state', renderStatus);
  c.on('local-stream', (s) => {
    $('self-video').srcObject = s;
    playMedia($('self-video'));
    renderControls();
  });
  c.on('participant-joined', (p) => {
    if (p.id !== c.self?.id) tileFor(p);
    updateCount();
  });
  c.on('participant-updated', (p) => {
    const t = tiles.get(p.id);
    if (t) updateTile(t, p);
    if (p.id === c.self?.id) $('self-initials').textContent = initials(p.name);
  });
  c.on('participant-left', ({ id }) => {
    removeTile(id);
    updateCount();
  });
  c.on('remote-track', attachRemote);
  c.on('remote-track-ended', detachRemote);
  c.on('track-updated', onTrackUpdated);
  c.on('track-published', onTrackUpdated);
  c.on('server-error', (e) => showBanner(describeError(e)));
  c.on('mute-request', (m) => {
    const src = m.source === 'camera' ? 'camera' : 'microphone';
    if (m.muted === false) {
      showBanner(`The host asks you to turn on your ${src}.`, { kind: 'info' });
    } else if (!c.isMuted(src)) {
      toggle(src);
      showBanner(`The host muted your ${src}.`, { kind: 'info', timeoutMs: 5000 });
    }
  });
  c.on('waiting-room', () => showBanner('Waiting for the host to let you in…', { kind: 'info' }));
  c.on('removed', () => finish('You were removed from the meeting.'));
  c.on('ended', () => finish('The meeting has ended.'));
  c.on('closed', () => {
    showBanner('The connection to the meeting server was lost.');
    setState('error');
    renderStatus();
  });
}

function showMeeting(c, number) {
  $('join-view').hidden = true;
  $('left-view').hidden = true;
  $('meeting-view').hidden = false;
  const num = c.meeting?.number ?? number;
  $('meeting-number').textContent = num.replace(/^(\d{3})(\d{3})(\d{3,})$/, '$1 $2 $3');
  $('meeting-number').dataset.number = num;
  $('self-initials').textContent = initials(c.self?.name ?? '');
  document.title = `Yunhui – ${c.meeting?.title || num}`;
  for (const p of c.participants.values()) if (p.id !== c.self?.id) tileFor(p);
  layoutGrid();
  renderStatus();
  renderControls();
}

async function startJoin() {
  if (yh.state === 'joining' || yh.state === 'joined') return;
  const formErr = $('join-error');
  formErr.textContent = '';
  const meeting = normalizeMeetingNumber($('meeting-input').value);
  const name = $('name-input').value.trim();
  if (!meeting) {
    formErr.textContent = 'Enter the meeting number (digits only).';
    $('meeting-input').focus();
    return;
  }
  if (!name) {
    formErr.textContent = 'Enter your name.';
    $('name-input').focus();
    return;
  }
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    /* private mode */
  }
  const wantMic = $('join-mic').checked;
  const wantCam = $('join-cam').checked;
  const url = readUrl();
  yh.metrics = { joinClickedAt: performance.now(), joinedAt: null, publishedAt: null, firstRemoteFrameAt: {} };
  setState('joining');
  hideBanner();
  const button = $('join-button');
  button.disabled = true;
  button.textContent = 'Joining…';
  const c = new YunhuiClient();
  yh.client = c;
  wireClient(c);
  try {
    await c.join({ meeting, name, passcode: url.passcode, token: url.token });
  } catch (e) {
    setState('error');
    formErr.textContent = describeError(e);
    button.disabled = false;
    button.textContent = 'Join';
    yh.client = null;
    return;
  }
  yh.metrics.joinedAt = performance.now();
  const u = new URL(location.href);
  u.searchParams.set('m', meeting);
  u.searchParams.delete('autojoin');
  u.hash = '';
  history.replaceState(null, '', u);
  showMeeting(c, meeting);
  setState('joined');
  button.disabled = false;
  button.textContent = 'Join';
  try {
    await c.publish();
    yh.metrics.publishedAt = performance.now();
    if (!wantMic || c.meeting?.muteOnEntry) await c.setMuted('microphone', true);
    if (!wantCam) await c.setMuted('camera', true);
  } catch (e) {
    console.error('publish failed', e);
    if (yh.client === c) showBanner(describeError(e));
  }
  renderControls();
  renderStatus();
}

function clearMeetingView() {
  for (const id of [...tiles.keys()]) removeTile(id);
  $('self-video').srcObject = null;
}

function finish(text) {
  const c = yh.client;
  yh.client = null;
  clearMeetingView();
  $('meeting-view').hidden = true;
  $('left-view').hidden = false;
  $('left-text').textContent = text;
  setState('left');
  document.title = 'Yunhui';
  yh.lastClient = c;
}

async function leave(text) {
  const c = yh.client;
  if (!c) return;
  $('leave-button').disabled = true;
  try {
    await c.leave();
  } finally {
    $('leave-button').disabled = false;
    finish(text);
  }
}

window.addEventListener('pagehide', () => {
  yh.client?.leave();
});

// ---- start ---------------------------------------------------------------

function init() {
  if (typeof RTCPeerConnection !== 'function' || !navigator.mediaDevices) {
    $('join-support').hidden = false;
  }
  const url = readUrl();
  let saved = null;
  try {
    saved = localStorage.getItem(NAME_KEY);
  } catch {
    /* private mode */
  }
  $('meeting-input').value = url.meeting;
  $('name-input').value = url.name ?? saved ?? '';
  (url.meeting ? $('name-input') : $('meeting-input')).focus();
  $('join-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    startJoin();
  });
  if (url.autojoin) {
    if (!$('name-input').value) $('name-input').value = `Guest ${Math.floor(1000 + Math.random() * 9000)}`;
    startJoin();
  }
}

init();
