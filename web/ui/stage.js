// The stage: one tile per other participant (camera) and one per screen
// share, laid out as a paged gallery grid, or as one large "focus" tile
// with the others in a strip (speaker view, spotlight, screen share).

import { $, h, handIcon, hue, initials, isNarrow, playMedia } from './util.js';

const PAGE_SIZE = 25;
const PAGE_SIZE_PHONE = 6;
const STRIP_MAX = 25;
const MIC_OFF_SVG = '<svg viewBox="0 0 24 24"><path d="M19 11h-2a5 5 0 0 1-.6 2.4l1.5 1.5A7 7 0 0 0 19 11zM15 11V5a3 3 0 0 0-5.9-.8L15 10.1V11zM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.4 2.6l1.6 1.6A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 3.5-1.3l3.2 3.2L21 18.5z"/></svg>';

function columns(n, narrow) {
  if (narrow) return n <= 3 ? 1 : 2;
  return n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
}

/** Puts `els` into `box` in this order, moving only what is out of place. */
function placeInOrder(box, els) {
  els.forEach((el, i) => {
    if (box.children[i] !== el) box.insertBefore(el, box.children[i] ?? null);
  });
  while (box.children.length > els.length) {
    const extra = box.children[els.length];
    // Tiles that belong elsewhere are moved by the next placeInOrder call.
    box.removeChild(extra);
  }
}

export class Stage {
  /** `hooks.firstFrame(tile)` is called when a tile renders its first frame. */
  constructor(hooks = {}) {
    this.hooks = hooks;
    this.client = null;
    this.tiles = new Map(); // key ('p3' or 'screen:p3') -> tile
    this.view = 'gallery'; // gallery|speaker
    this.page = 0;
    this.lastSpeaker = null;
    this.focusKey = null;
    this._raf = 0;
    $('page-prev').addEventListener('click', () => this.setPage(this.page - 1));
    $('page-next').addEventListener('click', () => this.setPage(this.page + 1));
    window.addEventListener('resize', () => this.layout());
  }

  attach(client) {
    this.client = client;
    this.page = 0;
    this.lastSpeaker = null;
  }

  setView(view) {
    this.view = view === 'speaker' ? 'speaker' : 'gallery';
    this.layout();
  }

  setPage(n) {
    this.page = n;
    this.layout();
  }

  clear() {
    for (const key of [...this.tiles.keys()]) this._removeTile(key);
    this.focusKey = null;
    this.layout();
  }

  // ---- tiles -----------------------------------------------------------------

  _makeTile(key, participantId, source) {
    const el = h('div', { class: `tile${source === 'screen' ? ' screen' : ''}`, dataset: { participant: participantId, source, video: 'off', rendering: 'no', audio: 'off' } });
    const video = h('video', { autoplay: true, playsinline: true });
    video.muted = true; // sound plays through the audio elements
    const ini = h('span', { class: 'initials' });
    const mic = h('span', { class: 'mic-state', 'aria-hidden': 'true' });
    mic.innerHTML = MIC_OFF_SVG;
    const nameEl = h('span', { class: 'name' });
    const hand = handIcon('hand-badge');
    hand.hidden = true;
    el.append(video, h('div', { class: 'placeholder' }, ini), h('div', { class: 'name-label' }, mic, nameEl), hand);
    const t = { key, id: participantId, source, el, video, ini, nameEl, hand, audios: new Map(), videoTrackId: null, videoOn: null, audioOn: null, firstFrame: false, participant: null };
    this.tiles.set(key, t);
    return t;
  }

  /** The camera tile of a participant, created on first use. */
  ensureParticipant(p) {
    let t = this.tiles.get(p.id);
    if (!t) t = this._makeTile(p.id, p.id, 'camera');
    this.updateParticipant(p);
    this.scheduleLayout();
    return t;
  }

  updateParticipant(p) {
    for (const t of [this.tiles.get(p.id), this.tiles.get(`screen:${p.id}`)]) {
      if (t) this._updateTile(t, p);
    }
  }

  removeParticipant(id) {
    this._removeTile(id);
    this._removeTile(`screen:${id}`);
    if (this.lastSpeaker === id) this.lastSpeaker = null;
    this.scheduleLayout();
  }

  _removeTile(key) {
    const t = this.tiles.get(key);
    if (!t) return;
    t.video.srcObject = null;
    for (const a of t.audios.values()) {
      a.srcObject = null;
      a.remove();
    }
    t.el.remove();
    this.tiles.delete(key);
  }

  _updateTile(t, participant) {
    if (participant) {
      t.participant = participant;
      const name = participant.name || 'Guest';
      const label = t.source === 'screen' ? `${name} (screen)` : name;
      t.el.dataset.name = t.source === 'screen' ? label : name;
      t.nameEl.textContent = label;
      t.ini.textContent = initials(name);
      t.el.style.setProperty('--hue', hue(name));
      t.el.dataset.role = participant.role ?? '';
      t.hand.hidden = !participant.hand || t.source === 'screen';
      // Take the participant's flags only when they change, so an unrelated
      // update (a raised hand) does not override a newer track-updated.
      if (t.source === 'camera') {
        if (t.lastVideoMuted !== participant.videoMuted) {
          t.lastVideoMuted = participant.videoMuted;
          if (typeof participant.videoMuted === 'boolean') t.videoOn = !participant.videoMuted;
        }
        if (t.lastAudioMuted !== participant.audioMuted) {
          t.lastAudioMuted = participant.audioMuted;
          if (typeof participant.audioMuted === 'boolean') t.audioOn = !participant.audioMuted;
        }
      }
    }
    const video = t.videoTrackId !== null && t.videoOn !== false;
    t.el.dataset.video = video ? 'on' : 'off';
    t.el.dataset.audio = t.source === 'screen' || (t.audioOn !== false && t.audios.size > 0) ? 'on' : 'off';
  }

  _watchFirstFrame(t) {
    const v = t.video;
    const mark = () => {
      t.el.dataset.rendering = 'yes';
      if (!t.firstFrame) {
        t.firstFrame = true;
        this.hooks.firstFrame?.(t);
      }
    };
    if (typeof v.requestVideoFrameCallback === 'function') v.requestVideoFrameCallback(mark);
    else v.addEventListener('playing', mark, { once: true });
  }

  attachRemote(r) {
    const client = this.client;
    if (!client || (client.self && r.participantId === client.self.id)) return; // own tracks
    const p = client.participants.get(r.participantId) ?? { id: r.participantId, name: '' };
    const screen = r.kind === 'video' && r.source === 'screen';
    let t;
    if (screen) {
      const key = `screen:${p.id}`;
      t = this.tiles.get(key) ?? this._makeTile(key, p.id, 'screen');
      this._updateTile(t, p);
    } else {
      t = this.ensureParticipant(p);
    }
    const info = client.tracks.get(r.trackId) ?? r.info;
    if (r.kind === 'audio') {
      let a = t.audios.get(r.trackId);
      if (!a) {
        a = h('audio', { autoplay: true });
        t.audios.set(r.trackId, a);
        t.el.append(a);
      }
      a.srcObject = r.stream;
      playMedia(a);
      if (info && typeof info.muted === 'boolean') t.audioOn = !info.muted;
    } else {
      t.videoTrackId = r.trackId;
      t.video.srcObject = r.stream;
      t.el.dataset.rendering = 'no';
      playMedia(t.video);
      this._watchFirstFrame(t);
      if (info && typeof info.muted === 'boolean') t.videoOn = !info.muted;
    }
    this._updateTile(t);
    this.scheduleLayout();
  }

  detachRemote({ trackId, participantId, kind, source }) {
    const screenKey = `screen:${participantId}`;
    const st = this.tiles.get(screenKey);
    if (st && st.videoTrackId === trackId) {
      this._removeTile(screenKey);
      this.scheduleLayout();
      return;
    }
    const t = this.tiles.get(participantId);
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
    this._updateTile(t);
    if (source === 'screen') this.scheduleLayout();
  }

  onTrackUpdated(track) {
    const key = track.source === 'screen' ? `screen:${track.participant}` : track.participant;
    const t = this.tiles.get(key);
    if (!t || typeof track.muted !== 'boolean') return;
    if (track.kind === 'video' && track.id === t.videoTrackId) t.videoOn = !track.muted;
    if (track.kind === 'audio') t.audioOn = !track.muted;
    this._updateTile(t);
  }

  setActiveSpeakers(ids) {
    const first = ids.find((id) => this.tiles.has(id));
    if (first) this.lastSpeaker = first;
    for (const t of this.tiles.values()) t.el.classList.toggle('speaking', t.source === 'camera' && t.id === ids[0]);
    if (this.view === 'speaker' && this.focusKey !== this.currentSpeaker()) this.scheduleLayout();
  }

  currentSpeaker() {
    if (this.lastSpeaker && this.tiles.has(this.lastSpeaker)) return this.lastSpeaker;
    for (const t of this.tiles.values()) if (t.source === 'camera') return t.key;
    return null;
  }

  // ---- layout ------------------------------------------------------------------

  scheduleLayout() {
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this.layout();
    });
  }

  /** What is shown large: a screen share, the spotlight, the roll call's site, or the speaker. */
  _focusTile() {
    const screens = [...this.tiles.values()].filter((t) => t.source === 'screen');
    if (screens.length) return screens[screens.length - 1];
    const m = this.client?.meeting;
    const spot = m?.spotlight ?? m?.rollCall?.current ?? null;
    if (spot && this.tiles.has(spot)) return this.tiles.get(spot);
    if (this.view === 'speaker') return this.tiles.get(this.currentSpeaker()) ?? null;
    return null;
  }

  layout() {
    const narrow = isNarrow();
    const all = [...this.tiles.values()];
    const cams = all.filter((t) => t.source === 'camera');
    const focus = this._focusTile();
    this.focusKey = focus?.key ?? null;
    const stage = $('stage');
    stage.dataset.layout = focus ? 'focus' : 'grid';
    const prefs = new Map(); // tile -> quality
    if (focus) {
      const others = all.filter((t) => t !== focus).sort((a, b) => (a.source === b.source ? 0 : a.source === 'screen' ? -1 : 1));
      placeInOrder($('focus'), [focus.el]);
      placeInOrder($('strip'), others.map((t) => t.el));
      placeInOrder($('grid'), []);
      focus.el.classList.remove('off-page');
      prefs.set(focus, 'high');
      others.forEach((t, i) => {
        t.el.classList.toggle('off-page', i >= STRIP_MAX);
        prefs.set(t, i >= STRIP_MAX ? 'off' : 'low');
      });
      $('pager').hidden = true;
      $('strip').dataset.count = String(Math.min(others.length, STRIP_MAX));
    } else {
      const size = narrow ? PAGE_SIZE_PHONE : PAGE_SIZE;
      const pages = Math.max(1, Math.ceil(cams.length / size));
      this.page = Math.min(Math.max(this.page, 0), pages - 1);
      const from = this.page * size;
      const shown = cams.slice(from, from + size).length;
      placeInOrder($('focus'), []);
      placeInOrder($('strip'), []);
      placeInOrder($('grid'), cams.map((t) => t.el));
      const quality = shown <= 4 ? 'high' : shown <= 9 ? 'medium' : 'low';
      cams.forEach((t, i) => {
        const on = i >= from && i < from + size;
        t.el.classList.toggle('off-page', !on);
        prefs.set(t, on ? quality : 'off');
      });
      const grid = $('grid');
      grid.dataset.count = String(shown);
      // A crowded gallery gets a smaller self view, so it hides less.
      $('meeting-view').dataset.crowd = shown > 9 ? 'yes' : 'no';
      grid.dataset.cols = String(columns(shown, false));
      grid.dataset.phoneCols = String(columns(shown, true));
      $('pager').hidden = pages <= 1;
      $('page-label').textContent = `${this.page + 1} / ${pages}`;
      $('page-prev').disabled = this.page === 0;
      $('page-next').disabled = this.page >= pages - 1;
    }
    $('alone').hidden = all.length > 0;
    // Each shown tile's size in device pixels lets the server pick the
    // layer that fills it (a small tile needs no 720p); hidden ones pause.
    const dpr = window.devicePixelRatio || 1;
    for (const [t, quality] of prefs) {
      if (!t.videoTrackId || !this.client) continue;
      const r = quality === 'off' ? null : t.el.getBoundingClientRect();
      const size = r && r.width > 0 && r.height > 0 ? { width: r.width * dpr, height: r.height * dpr } : {};
      this.client.setSubscription(t.videoTrackId, { quality, ...size });
    }
    this.hooks.layout?.();
  }

  /** For tests: where each tile is and how large. */
  describe() {
    return [...this.tiles.values()].map((t) => {
      const r = t.el.getBoundingClientRect();
      const where = t.el.classList.contains('off-page') ? 'hidden' : t.el.parentElement?.id ?? 'none';
      return {
        key: t.key,
        participant: t.id,
        source: t.source,
        name: t.el.dataset.name,
        video: t.el.dataset.video,
        rendering: t.el.dataset.rendering === 'yes',
        where,
        width: Math.round(r.width),
        height: Math.round(r.height),
      };
    });
  }
}
