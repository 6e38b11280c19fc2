// The side panels: people (with the host's actions, the waiting room and
// the hand queue), chat, and "more" (view, screen share, host tools, roll
// call). On a phone each panel is a full-screen sheet.

import { listDevices } from '../yunhui.js';
import { $, describeError, h, handIcon, hue, initials, ROLE_TEXT, showBanner } from './util.js';

const ICON = {
  micOff: '<svg viewBox="0 0 24 24"><path d="M19 11h-2a5 5 0 0 1-.6 2.4l1.5 1.5A7 7 0 0 0 19 11zM15 11V5a3 3 0 0 0-5.9-.8L15 10.1V11zM4.3 3 3 4.3l6 6V11a3 3 0 0 0 4.4 2.6l1.6 1.6A5 5 0 0 1 7 11H5a7 7 0 0 0 6 6.9V21h2v-3.1a7 7 0 0 0 3.5-1.3l3.2 3.2L21 18.5z"/></svg>',
  micOn: '<svg viewBox="0 0 24 24"><path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-3.1A7 7 0 0 0 19 11h-2z"/></svg>',
  camOff: '<svg viewBox="0 0 24 24"><path d="M21 6.5l-4 4V7a1 1 0 0 0-1-1H9.8L21 17.2zM3.3 2 2 3.3 4.7 6H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12c.2 0 .4-.1.6-.2l3.1 3.2 1.3-1.3z"/></svg>',
  camOn: '<svg viewBox="0 0 24 24"><path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z"/></svg>',
};

function icon(name, cls) {
  const s = h('span', { class: `state-icon ${cls}`, 'aria-hidden': 'true' });
  s.innerHTML = ICON[name];
  return s;
}

function avatar(name) {
  const a = h('span', { class: 'avatar' }, initials(name));
  a.style.setProperty('--hue', hue(name));
  return a;
}

function timeText(at) {
  const d = at ? new Date(at) : new Date();
  return Number.isNaN(d.getTime()) ? '' : d.toTimeString().slice(0, 5);
}

export class Panels {
  /**
   * `app` gives: client() (the YunhuiClient or null), stage (Stage),
   * toggleShare(), leaveWithText(text).
   */
  constructor(app) {
    this.app = app;
    this.open = null; // 'people'|'chat'|'more'|null
    this.expanded = null; // participant id whose action menu is open
    this.unread = 0;
    this._raf = 0;
    for (const name of ['people', 'chat', 'more']) {
      $(`${name}-button`).addEventListener('click', () => this.toggle(name));
    }
    $('participant-count').addEventListener('click', () => this.toggle('people'));
    for (const b of document.querySelectorAll('.panel [data-close]')) b.addEventListener('click', () => this.show(null));
    $('chat-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.sendChat();
    });
    const act = (action, params, what) => this.moderate(action, params, what);
    $('mute-all').addEventListener('click', () => act('mute-all', {}, 'mute everyone'));
    $('more-mute-all').addEventListener('click', () => act('mute-all', {}, 'mute everyone'));
    const lock = () => act(this.client()?.meeting?.locked ? 'unlock' : 'lock', {}, 'change the lock');
    $('lock-toggle').addEventListener('click', lock);
    $('more-lock').addEventListener('click', lock);
    $('more-spotlight-off').addEventListener('click', () => act('spotlight', { participant: null }, 'clear the spotlight'));
    const setting = (id, field, value) => $(id).addEventListener('change', (ev) => act('settings', { [field]: value(ev.target.checked) }, 'change the meeting'));
    setting('set-waiting', 'waitingRoom', (on) => on);
    setting('set-muted', 'muteOnEntry', (on) => on);
    setting('set-speakers', 'publish', (on) => (on ? 'speakers' : 'everyone'));
    $('end-meeting').addEventListener('click', () => {
      if (window.confirm('End the meeting for everyone?')) act('end', {}, 'end the meeting');
    });
    $('rollcall-start').addEventListener('click', () => {
      const n = Math.round(Number($('rollcall-interval').value));
      if (!(n >= 10 && n <= 120)) {
        showBanner('Roll call: 10 to 120 seconds per site.', { timeoutMs: 4000 });
        return;
      }
      act('roll-call-start', { interval: n }, 'start the roll call');
    });
    $('rollcall-next').addEventListener('click', () => act('roll-call-next', {}, 'move the roll call on'));
    $('rollcall-stop').addEventListener('click', () => act('roll-call-stop', {}, 'stop the roll call'));
    $('view-gallery').addEventListener('click', () => this.setView('gallery'));
    $('view-speaker').addEventListener('click', () => this.setView('speaker'));
    $('meeting-mic-select').addEventListener('change', (ev) => this.switchDevice('audio', ev.target.value));
    $('meeting-cam-select').addEventListener('change', (ev) => this.switchDevice('video', ev.target.value));
    $('more-share').addEventListener('click', () => {
      this.show(null);
      this.app.toggleShare();
    });
  }

  client() {
    return this.app.client();
  }

  reset() {
    this.show(null);
    this.expanded = null;
    this.unread = 0;
    $('chat-log').replaceChildren();
    this.render();
  }

  toggle(name) {
    this.show(this.open === name ? null : name);
  }

  show(name) {
    this.open = name;
    for (const n of ['people', 'chat', 'more']) {
      $(`${n}-panel`).hidden = n !== name;
      $(`${n}-button`).setAttribute('aria-pressed', String(n === name));
    }
    $('side').hidden = !name;
    $('meeting-view').dataset.panel = name ?? '';
    if (name === 'more') this.fillDevices();
    if (name === 'chat') {
      this.unread = 0;
      this._renderUnread();
      const log = $('chat-log');
      log.scrollTop = log.scrollHeight;
    }
    this.render();
    this.app.stage.scheduleLayout();
  }

  setView(view) {
    this.app.stage.setView(view);
    $('view-gallery').setAttribute('aria-pressed', String(view !== 'speaker'));
    $('view-speaker').setAttribute('aria-pressed', String(view === 'speaker'));
  }

  async moderate(action, params, what) {
    const c = this.client();
    if (!c) return;
    try {
      await c.moderate(action, params);
    } catch (e) {
      // `end` gets no `ok`: the connection closes under the request.
      if (this.client() !== c || c.signalingState === 'closed') return;
      showBanner(`Could not ${what}: ${describeError(e)}`, { timeoutMs: 6000 });
      this.render(); // switches back to the meeting's real state
    }
  }

  /** Re-renders at the next frame (events come in bursts). */
  scheduleRender() {
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = 0;
      this.render();
    });
  }

  render() {
    const c = this.client();
    const host = !!c?.isHost();
    document.body.dataset.host = host ? 'yes' : 'no';
    const m = c?.meeting ?? {};
    const n = c ? c.participants.size : 0;
    $('people-count').textContent = n ? `(${n})` : '';
    const lockText = m.locked ? 'Unlock' : 'Lock';
    $('lock-toggle').textContent = lockText;
    $('more-lock').textContent = lockText;
    $('more-spotlight-off').disabled = !m.spotlight;
    $('end-meeting').hidden = c?.self?.role !== 'host'; // cohosts may not end it
    $('set-waiting').checked = !!m.waitingRoom;
    $('set-muted').checked = !!m.muteOnEntry;
    $('set-speakers').checked = m.publish === 'speakers';
    this._renderRollCall(m, host);
    if (!c) return;
    const waiting = [...c.waiting.values()];
    const hands = c.hands();
    const badge = host ? waiting.length + hands.length : 0;
    $('people-badge').hidden = badge === 0;
    $('people-badge').textContent = String(badge);
    this._renderChatTargets(c);
    if (this.open !== 'people') return;
    this._renderWaiting(c, host, waiting);
    this._renderHands(c, host, hands);
    this._renderPeople(c, host);
  }

  _renderRollCall(m, host) {
    const rc = m.rollCall ?? null;
    const c = this.client();
    const current = rc?.current ? c?.participants.get(rc.current)?.name ?? rc.current : null;
    const text = rc ? `Roll call: ${current ?? '…'}` : '';
    $('rollcall-chip').hidden = !rc;
    $('rollcall-chip').title = text;
    $('rollcall-name').textContent = current ?? '…';
    $('rollcall-current').textContent = rc ? `Now: ${current ?? '…'} · ${rc.interval ?? '?'} s each` : 'Not running';
    $('rollcall-start').disabled = !host || !!rc;
    $('rollcall-next').disabled = !host || !rc;
    $('rollcall-stop').disabled = !host || !rc;
    if (rc?.interval && document.activeElement !== $('rollcall-interval')) $('rollcall-interval').value = String(rc.interval);
  }

  _renderWaiting(c, host, waiting) {
    $('waiting-section').hidden = !host || waiting.length === 0;
    $('waiting-count').textContent = `(${waiting.length})`;
    $('waiting-list').replaceChildren(...waiting.map((p) => h('li', { class: 'person', dataset: { id: p.id, name: p.name } },
      avatar(p.name),
      h('span', { class: 'pname' }, p.name || 'Guest'),
      h('span', { class: 'person-actions' },
        h('button', { class: 'primary small', type: 'button', dataset: { action: 'admit' }, onclick: () => this.moderate('admit', { participant: p.id }, 'admit') }, 'Admit'),
        h('button', { class: 'secondary small', type: 'button', dataset: { action: 'deny' }, onclick: () => this.moderate('deny', { participant: p.id }, 'deny') }, 'Deny')))));
  }

  _renderHands(c, host, hands) {
    $('hands-section').hidden = !host || hands.length === 0;
    $('hands-count').textContent = `(${hands.length})`;
    $('hand-queue').replaceChildren(...hands.map((p, i) => h('li', { class: 'person', dataset: { id: p.id, name: p.name } },
      h('span', { class: 'queue-pos' }, String(i + 1)),
      avatar(p.name),
      h('span', { class: 'pname' }, p.name || 'Guest'),
      h('span', { class: 'person-actions' },
        h('button', { class: 'primary small', type: 'button', dataset: { action: 'give-floor' }, onclick: () => this.moderate('give-floor', { participant: p.id, exclusive: true }, 'give the floor') }, 'Give floor')))));
  }

  _renderPeople(c, host) {
    const me = c.self?.id;
    const m = c.meeting ?? {};
    const people = [...c.participants.values()];
    $('people-list').replaceChildren(...people.map((p) => {
      const li = h('li', { class: 'person', dataset: { id: p.id, name: p.name, role: p.role } },
        avatar(p.name),
        h('span', { class: 'pname' }, p.name || 'Guest', p.id === me ? h('small', {}, ' (you)') : null,
          h('span', { class: 'role' }, ROLE_TEXT[p.role] ?? p.role ?? ''),
          m.spotlight === p.id ? h('span', { class: 'role spot' }, 'Spotlight') : null),
        h('span', { class: 'badges' },
          p.hand ? handIcon('hand') : null,
          icon(p.audioMuted ? 'micOff' : 'micOn', p.audioMuted ? 'off' : 'on'),
          icon(p.videoMuted ? 'camOff' : 'camOn', p.videoMuted ? 'off' : 'on')));
      if (host) {
        const open = this.expanded === p.id;
        li.append(h('button', {
          class: 'person-more', type: 'button', 'aria-expanded': String(open), 'aria-label': `Actions for ${p.name}`,
          onclick: () => {
            this.expanded = open ? null : p.id;
            this.render();
          },
        }, '\u22EF'));
        if (open) li.append(this._actions(p, m, p.id === me));
      }
      return li;
    }));
  }

  _actions(p, m, isSelf) {
    const b = (label, action, params, what, cls = 'secondary') =>
      h('button', { class: `${cls} small`, type: 'button', dataset: { action }, onclick: () => this.moderate(action, { participant: p.id, ...params }, what) }, label);
    const list = [];
    if (!isSelf) {
      list.push(p.audioMuted ? b('Ask to unmute', 'ask-unmute', { source: 'microphone' }, 'ask to unmute') : b('Mute', 'mute', { source: 'microphone' }, 'mute'));
      if (!p.videoMuted) list.push(b('Stop video', 'mute', { source: 'camera' }, 'stop the video'));
    }
    list.push(m.spotlight === p.id ? b('Unspotlight', 'spotlight', { participant: null }, 'clear the spotlight') : b('Spotlight', 'spotlight', {}, 'spotlight'));
    if (!isSelf) {
      list.push(b('Give floor', 'give-floor', { exclusive: true }, 'give the floor'));
      for (const role of ['cohost', 'speaker', 'attendee']) {
        if (p.role !== role && p.role !== 'host') list.push(b(`Make ${ROLE_TEXT[role].toLowerCase()}`, 'set-role', { role }, 'change the role'));
      }
      list.push(b('Remove', 'remove', {}, 'remove', 'danger'));
    }
    return h('div', { class: 'person-menu' }, ...list);
  }

  // ---- devices -----------------------------------------------------------------

  async fillDevices() {
    const c = this.client();
    let d;
    try {
      d = await listDevices();
    } catch {
      return;
    }
    const fill = (sel, list, kind) => {
      const cur = c?.currentDevice(kind) ?? '';
      sel.replaceChildren(...(list.length ? list : [{ deviceId: '', label: 'None found' }]).map((x) => h('option', { value: x.deviceId }, x.label)));
      if (list.some((x) => x.deviceId === cur)) sel.value = cur;
      sel.disabled = list.length === 0 || !c?.localStream;
    };
    fill($('meeting-mic-select'), d.audioinput, 'audio');
    fill($('meeting-cam-select'), d.videoinput, 'video');
  }

  /** Another microphone or camera, sent without renegotiation (replaceTrack). */
  async switchDevice(kind, deviceId) {
    const c = this.client();
    if (!c || !deviceId) return;
    try {
      await c.switchDevice(kind, deviceId);
    } catch (e) {
      showBanner(`Could not switch the ${kind === 'audio' ? 'microphone' : 'camera'}: ${describeError(e)}`, { timeoutMs: 6000 });
      this.fillDevices();
    }
  }

  // ---- chat ------------------------------------------------------------------

  _renderChatTargets(c) {
    const sel = $('chat-to');
    const want = [['', 'Everyone']];
    // Attendees may write privately to hosts and cohosts only.
    const anyone = c.self?.role !== 'attendee';
    for (const p of c.participants.values()) {
      if (p.id !== c.self?.id && (anyone || p.role === 'host' || p.role === 'cohost')) want.push([p.id, p.name || 'Guest']);
    }
    const have = [...sel.options].map((o) => [o.value, o.textContent]);
    if (JSON.stringify(have) === JSON.stringify(want)) return;
    const cur = sel.value;
    sel.replaceChildren(...want.map(([v, t]) => h('option', { value: v }, t)));
    sel.value = want.some(([v]) => v === cur) ? cur : '';
  }

  addChat(msg) {
    const c = this.client();
    if (!c) return;
    const me = c.self?.id;
    // `name` comes with the message: attendees may not see the sender's entry.
    const from = msg.from === me ? 'You' : c.participants.get(msg.from)?.name ?? msg.name ?? 'Someone';
    let to = '';
    if (msg.to) to = msg.to === me ? ' \u2192 you' : ` \u2192 ${c.participants.get(msg.to)?.name ?? '?'}`;
    const li = h('li', { class: `chat-msg${msg.to ? ' private' : ''}${msg.from === me ? ' mine' : ''}` },
      h('div', { class: 'chat-meta' }, h('b', {}, from), to, msg.to ? h('span', { class: 'private-tag' }, ' (private)') : null, h('time', {}, ` ${timeText(msg.at)}`)),
      h('div', { class: 'chat-text' }, msg.text));
    const log = $('chat-log');
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(li);
    while (log.children.length > 500) log.firstChild.remove();
    if (atBottom || msg.from === me) log.scrollTop = log.scrollHeight;
    if (this.open !== 'chat' && msg.from !== me) {
      this.unread++;
      this._renderUnread();
    }
  }

  _renderUnread() {
    $('chat-unread').hidden = this.unread === 0;
    $('chat-unread').textContent = this.unread > 9 ? '9+' : String(this.unread);
  }

  async sendChat() {
    const c = this.client();
    const input = $('chat-input');
    const text = input.value.trim();
    if (!c || !text) return;
    input.value = '';
    try {
      await c.chat(text, $('chat-to').value || null);
    } catch (e) {
      input.value = text;
      showBanner(`Message not sent: ${describeError(e)}`, { timeoutMs: 5000 });
    }
  }
}
