// The Yunhui meeting page: pre-join screen, waiting room, stage (gallery and
// speaker views), panels and controls. All protocol and media work is in
// yunhui.js; this file wires it to the page modules in ui/.
//
// URL options: m (meeting), name, autojoin=1, pwd, token, view=speaker,
// simulcast=0 (send one camera encoding instead of three);
// test-only: w, h, fps (camera size and rate), fakescreen=1 (a canvas
// stands in for getDisplayMedia).

import { YunhuiClient, normalizeMeetingNumber, openLocalMedia } from './yunhui.js';
import { HostBox } from './ui/host.js';
import { Panels } from './ui/panels.js';
import { PreJoin } from './ui/prejoin.js';
import { Stage } from './ui/stage.js';
import { $, describeError, formatNumber, hideBanner, initBanner, initials, playMedia, showBanner } from './ui/util.js';

const NAME_KEY = 'yunhui.name';

function readUrl() {
  const u = new URL(location.href);
  let meeting = u.searchParams.get('m') ?? u.searchParams.get('meeting');
  if (!meeting && u.hash.length > 1) meeting = decodeURIComponent(u.hash.slice(1));
  const num = (k) => {
    const v = Number(u.searchParams.get(k));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  };
  return {
    meeting: meeting ?? '',
    name: u.searchParams.get('name'),
    autojoin: u.searchParams.get('autojoin') === '1',
    passcode: u.searchParams.get('pwd') ?? u.searchParams.get('passcode') ?? undefined,
    token: u.searchParams.get('token') ?? undefined,
    view: u.searchParams.get('view') === 'speaker' ? 'speaker' : 'gallery',
    video: { width: num('w'), height: num('h'), frameRate: num('fps') },
    fakeScreen: u.searchParams.get('fakescreen') === '1',
    simulcast: u.searchParams.get('simulcast') !== '0',
  };
}

const url = readUrl();
for (const k of Object.keys(url.video)) if (url.video[k] === undefined) delete url.video[k];

// ---- state exposed for tests (tests/e2e) ----------------------------------

const yh = {
  client: null,
  state: 'idle', // idle|joining|waiting|joined|left|error
  metrics: { joinClickedAt: null, joinedAt: null, publishedAt: null, firstRemoteFrameAt: {} },
  async inboundStats() {
    return yh.client ? yh.client.inboundStats() : [];
  },
  async outboundStats() {
    return yh.client ? yh.client.outboundStats() : [];
  },
  /** The participants' camera tiles: [{participant, name, video:'on'|'off', rendering}]. */
  tiles() {
    return [...document.querySelectorAll('.stage .tile[data-source="camera"]')].map((t) => ({
      participant: t.dataset.participant,
      name: t.dataset.name,
      video: t.dataset.video,
      rendering: t.dataset.rendering === 'yes',
    }));
  },
  /** Every tile with where it is (focus|strip|grid|hidden) and its size. */
  layout() {
    return { layout: $('stage').dataset.layout, focus: stage.focusKey, tiles: stage.describe() };
  },
  /** Names in the host's hand queue, in order. */
  handQueue() {
    return [...document.querySelectorAll('#hand-queue .person')].map((li) => li.dataset.name);
  },
  openPanel(name) {
    panels.show(name);
  },
  /** Test-only: handles `msg` as if the server had sent it. */
  inject(msg) {
    yh.client?._onMessage(msg);
  },
};
window.__yh = yh;

function setState(s) {
  yh.state = s;
  document.body.dataset.state = s;
}
setState('idle');
initBanner();

const stage = new Stage({
  firstFrame(t) {
    if (t.source === 'camera' && yh.metrics.firstRemoteFrameAt[t.id] === undefined) yh.metrics.firstRemoteFrameAt[t.id] = performance.now();
  },
});
stage.view = url.view;
const panels = new Panels({
  client: () => yh.client,
  stage,
  toggleShare: () => toggleShare(),
});
panels.setView(url.view);
const prejoin = new PreJoin({ video: url.video });

// ---- status ----------------------------------------------------------------

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
  $('conn-text').textContent = `Signaling ${sig} · Media ${media}`;
  el.title = `Signaling: ${sig}; sending: ${m.publisher}; receiving: ${m.subscriber}`;
  let short = 'Connected';
  if (sig !== 'connected') short = sig === 'closed' ? 'Disconnected' : cap(sig);
  else if (media !== 'connected') short = `Media ${media}`;
  $('conn-short').textContent = short;
}

function updateCount() {
  const c = yh.client;
  const n = c ? Math.max(c.participants.size, c.meeting?.participantCount ?? 0, 1) : 1;
  $('participant-count').textContent = String(n);
  $('participant-count').title = `${n} participant${n === 1 ? '' : 's'}`;
}

function renderMeetingInfo() {
  const c = yh.client;
  const m = c?.meeting ?? {};
  $('lock-indicator').hidden = !m.locked;
  if (m.number) {
    $('meeting-number').textContent = formatNumber(m.number);
    $('meeting-number').dataset.number = m.number;
  }
  $('stage').dataset.spotlight = m.spotlight && m.spotlight === c?.self?.id ? 'self' : '';
}

// ---- controls --------------------------------------------------------------

function renderControls() {
  const c = yh.client;
  const micOff = !c || c.isMuted('microphone');
  const camOff = !c || c.isMuted('camera');
  const mic = $('mic-button');
  const cam = $('cam-button');
  mic.setAttribute('aria-pressed', String(micOff));
  cam.setAttribute('aria-pressed', String(camOff));
  const canTalk = !!c?.canPublish();
  mic.title = !canTalk ? 'Raise your hand to speak' : micOff ? 'Unmute microphone' : 'Mute microphone';
  cam.title = !canTalk ? 'Raise your hand to speak' : camOff ? 'Turn camera on' : 'Turn camera off';
  mic.querySelector('.label').textContent = micOff ? 'Unmute' : 'Mute';
  cam.querySelector('.label .wide-only').textContent = camOff ? 'Start ' : 'Stop ';
  const hasAudio = !!c?.localStream?.getAudioTracks().length;
  const hasVideo = !!c?.localStream?.getVideoTracks().length;
  mic.disabled = !hasAudio || !canTalk;
  cam.disabled = !hasVideo || !canTalk;
  $('self-tile').dataset.video = hasVideo && !camOff ? 'on' : 'off';
  // Attendees of a "speakers" meeting see their camera but send nothing.
  const sent = !c || canTalk;
  $('self-tile').dataset.sending = sent ? 'yes' : 'no';
  $('self-label').textContent = sent ? 'You' : 'You · not sent';
  const hand = !!c?.self?.hand;
  $('hand-button').setAttribute('aria-pressed', String(hand));
  $('hand-button').title = hand ? 'Lower hand' : 'Raise hand';
  $('hand-button').querySelector('.label').textContent = hand ? 'Lower' : 'Hand';
  $('self-hand').hidden = !hand;
  const sharing = !!c?.screenStream;
  $('share-button').setAttribute('aria-pressed', String(sharing));
  $('share-button').querySelector('.label').textContent = sharing ? 'Stop share' : 'Share';
  $('more-share').textContent = sharing ? 'Stop sharing' : 'Share screen';
  $('share-chip').hidden = !sharing;
  // One screen share per meeting: the server refuses a second (busy).
  const othersShare = !!c && [...c.tracks.values()].some((t) => t.source === 'screen');
  const canShare = !!c && (sharing || (canTalk && !othersShare)) && (!!navigator.mediaDevices?.getDisplayMedia || url.fakeScreen);
  $('share-button').title = othersShare && !sharing ? 'Someone else is sharing' : sharing ? 'Stop sharing' : 'Share screen';
  $('share-button').disabled = !canShare;
  $('more-share').disabled = !canShare;
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

async function toggleHand() {
  const c = yh.client;
  if (!c?.self) return;
  try {
    await c.hand(!c.self.hand);
  } catch (e) {
    showBanner(`Could not change your hand: ${describeError(e)}`, { timeoutMs: 5000 });
  }
}

/** A test stand-in for a screen: a moving canvas (headless browsers may lack getDisplayMedia). */
function canvasScreenStream() {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d');
  let n = 0;
  const timer = setInterval(() => {
    g.fillStyle = '#203040';
    g.fillRect(0, 0, 640, 360);
    g.fillStyle = '#f5a524';
    g.fillRect((n * 7) % 600, 150, 40, 40);
    g.fillStyle = '#fff';
    g.font = '28px sans-serif';
    g.fillText(`Shared screen ${n++}`, 20, 50);
  }, 66);
  const s = canvas.captureStream(15);
  s.getVideoTracks()[0].addEventListener('ended', () => clearInterval(timer));
  return s;
}

async function toggleShare() {
  const c = yh.client;
  if (!c) return;
  try {
    if (c.screenStream) await c.stopScreenShare();
    else await c.startScreenShare(url.fakeScreen ? { stream: canvasScreenStream() } : {});
  } catch (e) {
    if (e.name !== 'NotAllowedError' && e.name !== 'AbortError') showBanner(`Could not share the screen: ${describeError(e)}`, { timeoutMs: 6000 });
  }
  renderControls();
}

$('mic-button').addEventListener('click', () => toggle('microphone'));
$('cam-button').addEventListener('click', () => toggle('camera'));
$('hand-button').addEventListener('click', toggleHand);
$('share-button').addEventListener('click', toggleShare);
$('share-chip-stop').addEventListener('click', toggleShare);
$('leave-button').addEventListener('click', () => leave('You left the meeting.'));
$('waiting-leave').addEventListener('click', () => leave('You left the waiting room.'));
$('rejoin-button').addEventListener('click', () => {
  $('left-view').hidden = true;
  $('join-view').hidden = false;
  startJoin();
});
$('home-button').addEventListener('click', () => {
  $('left-view').hidden = true;
  $('join-view').hidden = false;
  setState('idle');
  prejoin.start();
});
$('copy-link').addEventListener('click', async () => {
  const link = `${location.origin}${location.pathname}?m=${encodeURIComponent(yh.client?.meeting?.number ?? $('meeting-number').dataset.number ?? '')}`;
  try {
    await navigator.clipboard.writeText(link);
    showBanner('Invite link copied.', { kind: 'info', timeoutMs: 2500 });
  } catch {
    showBanner(`Invite link: ${link}`, { kind: 'info' });
  }
});

// ---- publishing follows the role -----------------------------------------

let reconcileChain = Promise.resolve();

/**
 * Sends camera and microphone when the role and the meeting's publish
 * policy allow it, and stops when they no longer do (the floor moved on).
 */
function reconcilePublishing(reason) {
  const run = async () => {
    const c = yh.client;
    if (!c || c.signalingState === 'closed') return;
    if (c.canPublish() && !c.isPublishing() && c.localStream) {
      await c.publish({ stream: c.localStream, simulcast: url.simulcast });
      yh.metrics.publishedAt ??= performance.now();
      for (const src of ['microphone', 'camera']) if (c.isMuted(src)) await c.setMuted(src, true);
      if (reason === 'role') showBanner('You can speak now.', { kind: 'info', timeoutMs: 4000 });
    } else if (!c.canPublish() && c.isPublishing()) {
      await c.pausePublishing();
      if (c.screenStream) await c.stopScreenShare();
      if (reason === 'role') showBanner('Your turn to speak has ended.', { kind: 'info', timeoutMs: 4000 });
    }
  };
  reconcileChain = reconcileChain.then(run).catch((e) => {
    console.error('publishing', e);
    showBanner(describeError(e), { timeoutMs: 6000 });
  }).finally(renderControls);
  return reconcileChain;
}

// ---- client events -----------------------------------------------------------

function wireClient(c) {
  c.on('signaling-state', renderStatus);
  c.on('media-state', renderStatus);
  c.on('local-stream', (s) => {
    $('self-video').srcObject = s;
    playMedia($('self-video'));
    renderControls();
  });
  c.on('participant-joined', (p) => {
    if (p.id !== c.self?.id) stage.ensureParticipant(p);
    updateCount();
    panels.scheduleRender();
  });
  c.on('participant-updated', (p) => {
    stage.updateParticipant(p);
    if (p.id === c.self?.id) {
      $('self-initials').textContent = initials(p.name);
      renderControls();
    }
    panels.scheduleRender();
  });
  c.on('participant-left', ({ id }) => {
    stage.removeParticipant(id);
    updateCount();
    panels.scheduleRender();
  });
  c.on('remote-track', (r) => stage.attachRemote(r));
  c.on('remote-track-ended', (r) => stage.detachRemote(r));
  c.on('track-updated', (t) => stage.onTrackUpdated(t));
  c.on('track-published', (t) => {
    stage.onTrackUpdated(t);
    if (t.source === 'screen') renderControls();
  });
  c.on('track-unpublished', ({ track }) => {
    if (track?.source === 'screen') renderControls();
  });
  c.on('active-speaker', ({ ids }) => stage.setActiveSpeakers(ids));
  c.on('meeting-updated', () => {
    renderMeetingInfo();
    updateCount();
    stage.scheduleLayout();
    panels.scheduleRender();
    reconcilePublishing('meeting');
  });
  c.on('role-changed', () => {
    panels.scheduleRender();
    reconcilePublishing('role');
  });
  c.on('hands', () => panels.scheduleRender());
  c.on('waiting-list', () => panels.scheduleRender());
  c.on('waiting', (p) => {
    if (c.isHost()) {
      showBanner(`${p.name || 'Someone'} is waiting to join.`, {
        kind: 'info',
        timeoutMs: 8000,
        action: { label: 'Admit', run: () => panels.moderate('admit', { participant: p.id }, 'admit') },
      });
    }
  });
  c.on('waiting-room', showWaiting);
  c.on('chat', (m) => panels.addChat(m));
  c.on('screen-share', renderControls);
  c.on('server-error', (e) => showBanner(describeError(e)));
  c.on('local-mute', ({ source, muted }) => {
    renderControls();
    const rc = c.meeting?.rollCall;
    if (rc && source === 'microphone') {
      showBanner(rc.current === c.self?.id ? 'Roll call: your turn, you are heard.' : 'Roll call: your microphone is off until your turn.', { kind: 'info', timeoutMs: 5000 });
    } else if (muted) {
      showBanner(`The host turned off your ${source}.`, { kind: 'info', timeoutMs: 5000 });
    }
  });
  // Requests to unmute come in pairs (the floor: microphone and camera):
  // one banner asks for both.
  const asked = new Set();
  c.on('mute-request', (m) => {
    const src = m.source === 'camera' ? 'camera' : 'microphone';
    if (m.muted === false) {
      if (!c.isMuted(src)) return;
      asked.add(src);
      setTimeout(() => {
        const list = [...asked].filter((x) => c.isMuted(x));
        asked.clear();
        if (!list.length) return;
        const run = () => list.forEach((x) => c.isMuted(x) && toggle(x));
        showBanner(`The host asks you to turn on your ${list.join(' and ')}.`, { kind: 'info', action: { label: 'Turn on', run } });
      }, 50);
    } else if (!c.isMuted(src)) {
      toggle(src);
      showBanner(`The host muted your ${src}.`, { kind: 'info', timeoutMs: 5000 });
    }
  });
  c.on('removed', () => finish('You were removed from the meeting.', { rejoin: false }));
  c.on('ended', () => finish('The meeting has ended.', { rejoin: false }));
  c.on('closed', () => {
    showBanner('The connection to the meeting server was lost.');
    setState('error');
    renderStatus();
  });
}

// ---- views ---------------------------------------------------------------------

function showOnly(view) {
  for (const v of ['join-view', 'waiting-view', 'meeting-view', 'left-view']) $(v).hidden = v !== view;
}

function showWaiting() {
  setState('waiting');
  const c = yh.client;
  $('waiting-text').textContent = `Meeting ${formatNumber(pendingJoin?.meeting ?? '')} · ${c?.self?.name ?? pendingJoin?.name ?? ''}`.trim();
  showOnly('waiting-view');
}

function showMeeting(c, number) {
  showOnly('meeting-view');
  const num = c.meeting?.number ?? number;
  $('meeting-number').textContent = formatNumber(num);
  $('meeting-number').dataset.number = num;
  $('self-initials').textContent = initials(c.self?.name ?? '');
  document.title = `Yunhui – ${c.meeting?.title || num}`;
  for (const p of c.participants.values()) if (p.id !== c.self?.id) stage.ensureParticipant(p);
  renderMeetingInfo();
  updateCount();
  stage.layout();
  panels.render();
  renderStatus();
  renderControls();
}

// ---- join / leave ----------------------------------------------------------------

let pendingJoin = null;

async function startJoin(opts = {}) {
  if (['joining', 'waiting', 'joined'].includes(yh.state)) return;
  const formErr = $('join-error');
  formErr.textContent = '';
  const meeting = normalizeMeetingNumber(opts.meeting ?? $('meeting-input').value);
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
  const wantMic = prejoin.wantMic;
  const wantCam = prejoin.wantCam;
  const token = opts.token ?? url.token;
  pendingJoin = { meeting, name };
  yh.metrics = { joinClickedAt: performance.now(), joinedAt: null, publishedAt: null, firstRemoteFrameAt: {} };
  setState('joining');
  hideBanner();
  const button = $('join-button');
  button.disabled = true;
  button.textContent = 'Joining…';
  const c = new YunhuiClient({ video: url.video });
  yh.client = c;
  wireClient(c);
  stage.attach(c);
  panels.reset();
  const preview = prejoin.take();
  try {
    await c.join({ meeting, name, passcode: url.passcode, token });
  } catch (e) {
    button.disabled = false;
    button.textContent = 'Join';
    yh.client = null;
    const stream = await preview;
    for (const t of stream?.getTracks() ?? []) t.stop();
    if (c.signalingState === 'closed') return; // left the waiting room: leave() shows the page
    if (e.code === 'denied') {
      finish('The host did not let you in.', { rejoin: false, state: 'denied' });
      return;
    }
    setState('error');
    showOnly('join-view');
    formErr.textContent = describeError(e);
    prejoin.start();
    return;
  }
  yh.metrics.joinedAt = performance.now();
  const u = new URL(location.href);
  u.searchParams.set('m', meeting);
  u.searchParams.delete('autojoin');
  u.searchParams.delete('token');
  u.hash = '';
  history.replaceState(null, '', u);
  showMeeting(c, meeting);
  setState('joined');
  button.disabled = false;
  button.textContent = 'Join';
  await startMedia(c, await preview, { wantMic: wantMic && !(c.meeting?.muteOnEntry && !c.isHost()), wantCam });
}

/** Opens (or takes over) camera and microphone and publishes when allowed. */
async function startMedia(c, stream, { wantMic, wantCam }) {
  try {
    let local = stream;
    if (!local) local = await openLocalMedia({ audio: true, video: true, ...url.video });
    if (yh.client !== c) {
      for (const t of local.getTracks()) t.stop();
      return;
    }
    for (const t of local.getAudioTracks()) t.enabled = wantMic;
    for (const t of local.getVideoTracks()) t.enabled = wantCam;
    c.setLocalStream(local);
    await reconcilePublishing('join');
  } catch (e) {
    console.error('media failed', e);
    if (yh.client === c) showBanner(describeError(e));
  }
  renderControls();
  renderStatus();
}

function finish(text, { rejoin = true, state = 'left' } = {}) {
  const c = yh.client;
  yh.client = null;
  stage.clear();
  panels.reset();
  $('self-video').srcObject = null;
  showOnly('left-view');
  $('left-text').textContent = text;
  $('rejoin-button').hidden = !rejoin;
  setState(state);
  document.title = 'Yunhui';
  yh.lastClient = c;
}

async function leave(text) {
  const c = yh.client;
  if (!c) return;
  const waiting = yh.state === 'waiting';
  $('leave-button').disabled = true;
  try {
    await c.leave();
  } finally {
    $('leave-button').disabled = false;
    finish(text, { rejoin: true });
    if (waiting) setState('left');
  }
}

window.addEventListener('pagehide', () => {
  yh.client?.leave();
});

// ---- start -------------------------------------------------------------------------

function init() {
  if (typeof RTCPeerConnection !== 'function' || !navigator.mediaDevices) {
    $('join-support').hidden = false;
  }
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
  new HostBox({
    onStart: ({ meeting, token }) => {
      $('meeting-input').value = meeting;
      if (!$('name-input').value.trim()) $('name-input').value = 'Host';
      startJoin({ meeting, token });
    },
  });
  if (url.autojoin) {
    if (!$('name-input').value) $('name-input').value = `Guest ${Math.floor(1000 + Math.random() * 9000)}`;
    startJoin();
  } else if (navigator.mediaDevices) {
    prejoin.start();
  }
}

init();
