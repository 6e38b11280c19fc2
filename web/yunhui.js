// Yunhui browser client: signaling (docs/protocol.md, version 1) and media.
// No DOM code here: app.js (or any other UI) drives a YunhuiClient and
// listens to its events.
//
//   const c = new YunhuiClient();
//   c.on('remote-track', ({ trackId, participantId, kind, source, track, stream }) => …);
//   const local = await openLocalMedia({ audio: true, video: true });  // preview
//   await c.join({ meeting: '123456789', name: 'Alice' });
//   await c.publish({ stream: local });   // camera + microphone
//   await c.setMuted('camera', true);
//   await c.hand(true);  await c.chat('hello');  await c.chat('psst', 'p3');
//   await c.moderate('give-floor', { participant: 'p3', exclusive: true });
//   await c.startScreenShare();           // getDisplayMedia, renegotiates
//   await c.switchDevice('audio', deviceId);
//   await c.leave();
//
// In a `publish: "speakers"` meeting an attendee may not send: keep the
// preview with setLocalStream(), publish() when the role allows it (the
// floor was given: 'role-changed'), pausePublishing() when it no longer
// does. setSubscription(trackId, {quality}) tells the server what a track
// is shown at (paced, repeats dropped); setFrameRate(trackId, fps) caps the
// frame rate received of it until lifted with null. listDevices(),
// openLocalMedia() and openDeviceTrack() come from devices.js.
//
// Waiting participants leave through participant-left (reason left,
// disconnected, denied), admitted ones arrive with participant-joined.
//
// State: self, meeting, participants (Map, self included), tracks (Map),
// activeSpeakers (ids, loudest first), waiting (Map of participants held in
// the waiting room, for hosts), chatLog, hands() (raised hands in raise
// order), isHost(), canPublish(), screenStream.
//
// Events: 'signaling-state' (state), 'media-state' ({publisher, subscriber}),
// 'joined' (reply), 'participant-joined' / 'participant-updated' (PARTICIPANT),
// 'participant-left' ({id, reason}), 'track-published' / 'track-updated'
// (TRACK), 'track-unpublished' ({id, track}), 'remote-track'
// ({trackId, participantId, kind, source, track, stream, info}),
// 'remote-track-ended' ({trackId, participantId, kind, source}),
// 'local-stream' (MediaStream), 'local-mute' ({source, muted}: the server
// muted or unmuted one of our tracks), 'role-changed' ({role, previous}),
// 'hands' (hands()), 'waiting-list' (waiting participants, for hosts),
// 'waiting-room' (our own join is held in the waiting room),
// 'screen-share' ({active}), 'server-error' ({code, message}), 'removed',
// 'ended', 'closed', 'message' (every server message, raw), and the
// protocol's other events by their type ('active-speaker' ({ids}),
// 'meeting-updated' (MEETING), 'chat' ({from, to, text, at}),
// 'mute-request', 'waiting' (PARTICIPANT)).

import { listDevices, openDeviceTrack, openLocalMedia } from './devices.js';
import { watchIceRestart } from './icerestart.js';
import { refreshRemoteInfo, syncRemoteTracks } from './remotetracks.js';
import { startScreenShare, stopScreenShare } from './screenshare.js';
import { inboundStats, outboundStats } from './stats.js';
import { Subscriptions } from './subscriptions.js';
import { REQUEST_TIMEOUT_MS, Signaling, YunhuiError } from './signaling.js';
import { Emitter, defaultSignalingUrl, normalizeMeetingNumber, pcMediaState, simulcastEncodings } from './util.js';

export { Emitter, defaultSignalingUrl, listDevices, normalizeMeetingNumber, openDeviceTrack, openLocalMedia, simulcastEncodings, YunhuiError };

export const PROTOCOL_VERSION = 1;
export const CLIENT_VERSION = '0.1.0';

const RESUME_WINDOW_MS = 20000; // the server keeps media alive this long
const RECONNECT_DELAY_MS = 1000;

const HOST_ROLES = new Set(['host', 'cohost']);
const PUBLISH_ROLES = new Set(['host', 'cohost', 'speaker']);

/** The protocol's source of a local track. */
function sourceOfTrack(track) {
  return track.kind === 'audio' ? 'microphone' : 'camera';
}

export class YunhuiClient extends Emitter {
  constructor(opts = {}) {
    super();
    this.url = opts.url ?? defaultSignalingUrl();
    this.clientInfo = { kind: 'web', version: CLIENT_VERSION, ...(opts.client ?? {}) };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    // Camera constraints for openLocalMedia/switchDevice: {width, height, frameRate}.
    this.videoConstraints = opts.video ?? {};
    this.sig = null;
    this.signalingState = 'idle'; // idle|connecting|waiting|connected|reconnecting|closed|failed
    this.self = null;
    this.meeting = null;
    this.participants = new Map(); // id -> PARTICIPANT (self included)
    this.tracks = new Map(); // id -> TRACK (others' tracks)
    this.iceServers = [];
    this.resumeToken = null;
    this.localStream = null;
    this.screenStream = null;
    this.pubPc = null;
    this.pubMids = new Map(); // mid -> source (last publish)
    this.subPc = null;
    this.subMidToTrack = new Map(); // mid -> track id (last applied offer)
    this.remote = new Map(); // track id -> {trackId, participantId, kind, source, track, stream, mid}
    this.activeSpeakers = []; // participant ids, loudest first
    this.waiting = new Map(); // id -> PARTICIPANT held in the waiting room (hosts see them)
    this.chatLog = []; // chat events, oldest first
    this.maxChat = opts.maxChat ?? 500;
    this._handOrder = new Map(); // id -> sort key of the raise
    this._handSeq = 0;
    this._pubSources = new Map(); // RTCRtpTransceiver -> source
    this._screenTr = null;
    this._sending = false; // camera/microphone published and not paused
    this._pendingMute = { microphone: 0, camera: 0, screen: 0 };
    this._offerChain = Promise.resolve();
    this._pubChain = Promise.resolve();
    this._subs = new Subscriptions((pref) => {
      if (this.sig?.isOpen && this.tracks.has(pref.track)) this.request(pref).catch(() => {});
    });
    this._left = false;
    this._reconnecting = false;
  }

  // ---- signaling ---------------------------------------------------------

  _setSignalingState(s) {
    if (this.signalingState === s) return;
    this.signalingState = s;
    this.emit('signaling-state', s);
  }

  mediaState() {
    return { publisher: pcMediaState(this.pubPc), subscriber: pcMediaState(this.subPc) };
  }

  _emitMediaState() {
    this.emit('media-state', this.mediaState());
  }

  async _connect() {
    this.sig?.close();
    const sig = new Signaling(
      this.url,
      (m) => this._onMessage(m),
      (ev) => this._onSignalingClosed(ev),
    );
    this.sig = sig;
    await sig.open(this.requestTimeoutMs);
  }

  request(msg, timeoutMs = this.requestTimeoutMs) {
    if (!this.sig) return Promise.reject(new YunhuiError('network', 'not connected'));
    return this.sig.request(msg, timeoutMs);
  }

  send(msg) {
    if (!this.sig) throw new YunhuiError('network', 'not connected');
    this.sig.send(msg);
  }

  /**
   * Connects and joins; resolves with the `joined` reply. In a meeting with
   * a waiting room the reply may come much later ('waiting-room' is emitted
   * meanwhile), or the promise rejects with code `denied`.
   */
  async join({ meeting, name, passcode, token }) {
    this._left = false;
    this._setSignalingState('connecting');
    try {
      await this._connect();
      const req = { type: 'join', meeting: String(meeting), name, client: this.clientInfo };
      if (passcode) req.passcode = passcode;
      if (token) req.token = token;
      // Signaling drops the timeout once an interim `waiting` reply came.
      const joined = await this.request(req, this.requestTimeoutMs);
      this._applyJoined(joined);
      this._setSignalingState('connected');
      return joined;
    } catch (e) {
      this._setSignalingState(this._left ? 'closed' : 'failed');
      this.sig?.close();
      throw e;
    }
  }

  _applyJoined(msg) {
    const previousRole = this.self?.role ?? null;
    this.self = msg.self ?? null;
    this.meeting = msg.meeting ?? null;
    this.resumeToken = msg.resumeToken ?? null;
    if (Array.isArray(msg.iceServers)) this.iceServers = msg.iceServers;
    this.participants.clear();
    this._handOrder.clear();
    for (const p of msg.participants ?? []) this._putParticipant(p);
    if (this.self) this._putParticipant(this.self);
    this.tracks.clear();
    for (const t of msg.tracks ?? []) if (t.participant !== this.self?.id) this.tracks.set(t.id, t);
    this.waiting.clear();
    for (const p of msg.waiting ?? []) if (p?.id) this.waiting.set(p.id, p);
    this.emit('joined', msg);
    if (previousRole && this.self && previousRole !== this.self.role) {
      this.emit('role-changed', { role: this.self.role, previous: previousRole });
    }
    // Tracks whose TRACK object came after the subscriber offer.
    refreshRemoteInfo(this);
  }

  /** Stores a participant and keeps the raise order of hands. */
  _putParticipant(p) {
    const before = this.participants.get(p.id);
    this.participants.set(p.id, p);
    if (p.hand) {
      if (!this._handOrder.has(p.id)) {
        // The server's raise time when it gives one, else the order seen.
        const at = typeof p.handRaisedAt === 'string' ? Date.parse(p.handRaisedAt) : NaN;
        this._handOrder.set(p.id, Number.isFinite(at) ? at : Date.now() * 1000 + (this._handSeq++ % 1000));
      }
    } else {
      this._handOrder.delete(p.id);
    }
    return before;
  }

  _onSignalingClosed(ev) {
    if (this._left || this._reconnecting) return; // leave() or the resume loop handles it
    if (this.signalingState !== 'connected') return; // join() rejects
    if (this.resumeToken) {
      this._resumeLoop();
      return;
    }
    this._setSignalingState('failed');
    this.emit('closed', { code: ev.code, reason: ev.reason });
  }

  /** Re-attaches within the server's 20 s window after a lost WebSocket. */
  async _resumeLoop() {
    if (this._reconnecting) return;
    this._reconnecting = true;
    this._setSignalingState('reconnecting');
    const deadline = Date.now() + RESUME_WINDOW_MS;
    while (!this._left && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS));
      if (this._left) break;
      try {
        await this._connect();
        const joined = await this.request({ type: 'resume', resumeToken: this.resumeToken });
        this._applyJoined(joined);
        this._reconnecting = false;
        this._setSignalingState('connected');
        return;
      } catch (e) {
        console.warn('yunhui: resume failed:', e.message);
        if (e.code && !['network', 'timeout', 'closed'].includes(e.code)) break;
      }
    }
    this._reconnecting = false;
    if (!this._left) {
      this._setSignalingState('failed');
      this.emit('closed', { code: 0, reason: 'could not resume' });
    }
  }

  _onMessage(msg) {
    this.emit('message', msg);
    switch (msg.type) {
      case 'offer':
        this._offerChain = this._offerChain
          .then(() => this._onSubscriberOffer(msg))
          .catch((e) => {
            console.error('yunhui: subscriber offer failed', e);
            this.emit('server-error', { code: 'media', message: `cannot receive media: ${e.message}` });
          });
        break;
      case 'candidate':
        // ICE-lite server: candidates are in its SDP. Add one if it sends any.
        if (msg.candidate && this.subPc) this.subPc.addIceCandidate(msg).catch(() => {});
        break;
      case 'ping':
        this.sig?.isOpen && this.sig.send({ type: 'pong' });
        break;
      case 'participant-joined':
      case 'participant-updated':
        if (msg.participant?.id) this._onParticipant(msg.type, msg.participant);
        break;
      case 'participant-left':
        this._onParticipantLeft(msg);
        break;
      case 'track-published':
      case 'track-updated':
        if (msg.track?.id) this._onTrack(msg.type, msg.track);
        break;
      case 'track-unpublished': {
        const track = this.tracks.get(msg.id);
        this.tracks.delete(msg.id);
        this._subs.forget(msg.id);
        this.emit('track-unpublished', { id: msg.id, track });
        break;
      }
      case 'active-speaker':
        this.activeSpeakers = Array.isArray(msg.ids) ? msg.ids.filter((x) => typeof x === 'string') : [];
        this.emit('active-speaker', { ids: this.activeSpeakers });
        break;
      case 'meeting-updated':
        if (msg.meeting && typeof msg.meeting === 'object') {
          const handsBefore = JSON.stringify(this.meeting?.hands ?? null);
          this.meeting = msg.meeting;
          this.emit('meeting-updated', this.meeting);
          if (JSON.stringify(this.meeting.hands ?? null) !== handsBefore) this.emit('hands', this.hands());
        }
        break;
      case 'chat':
        this.chatLog.push(msg);
        if (this.chatLog.length > this.maxChat) this.chatLog.splice(0, this.chatLog.length - this.maxChat);
        this.emit('chat', msg);
        break;
      case 'waiting':
        // With a participant: a host is told that someone waits. Without:
        // our own join is held (the interim reply to `join`).
        if (msg.participant?.id) {
          this.waiting.set(msg.participant.id, msg.participant);
          this.emit('waiting', msg.participant);
          this.emit('waiting-list', [...this.waiting.values()]);
        } else {
          this._setSignalingState('waiting');
          this.emit('waiting-room', msg);
        }
        break;
      case 'error':
        this.emit('server-error', { code: msg.code, message: msg.message });
        break;
      case 'removed':
      case 'ended':
        this.emit(msg.type, msg);
        this._teardown();
        break;
      default:
        this.emit(msg.type, msg);
    }
  }

  _onParticipant(type, p) {
    const before = this._putParticipant(p);
    if (this.self && p.id === this.self.id) {
      const previous = this.self.role;
      this.self = p;
      if (previous !== p.role) this.emit('role-changed', { role: p.role, previous });
    }
    if (this.waiting.delete(p.id)) this.emit('waiting-list', [...this.waiting.values()]);
    this.emit(type, p);
    if (!!before?.hand !== !!p.hand) this.emit('hands', this.hands());
  }

  _onParticipantLeft(msg) {
    const p = this.participants.get(msg.id);
    this.participants.delete(msg.id);
    this._handOrder.delete(msg.id);
    for (const [id, t] of this.tracks) if (t.participant === msg.id) this.tracks.delete(id);
    this.activeSpeakers = this.activeSpeakers.filter((x) => x !== msg.id);
    if (this.waiting.delete(msg.id)) this.emit('waiting-list', [...this.waiting.values()]);
    this.emit('participant-left', { id: msg.id, reason: msg.reason });
    if (p?.hand) this.emit('hands', this.hands());
  }

  _onTrack(type, track) {
    if (this.self && track.participant === this.self.id) {
      // Our own track: the server (a host's mute, mute on entry) may have
      // changed its state. Our own pending mute requests win.
      const src = track.source;
      if (type === 'track-updated' && typeof track.muted === 'boolean' && !this._pendingMute[src]) {
        if (this._applyLocalMute(src, track.muted)) this.emit('local-mute', { source: src, muted: track.muted });
      }
      this.emit(type, track);
      return;
    }
    this.tracks.set(track.id, track);
    refreshRemoteInfo(this);
    this.emit(type, track);
  }

  // ---- roles, hands, chat, moderation -----------------------------------

  isHost() {
    return HOST_ROLES.has(this.self?.role);
  }

  /** May this client send media under the meeting's publish policy? */
  canPublish() {
    if (!this.self) return false;
    return this.meeting?.publish !== 'speakers' || PUBLISH_ROLES.has(this.self.role);
  }

  /**
   * Participants with a raised hand, in the order they raised it: the
   * server's queue (MEETING.hands, sent to moderators) when there is one.
   */
  hands() {
    const queue = this.meeting?.hands;
    if (Array.isArray(queue)) {
      const out = [];
      for (const id of queue) {
        const p = this.participants.get(id);
        if (p?.hand) out.push(p);
      }
      return out;
    }
    const key = (p) => this._handOrder.get(p.id) ?? Number.MAX_VALUE;
    return [...this.participants.values()].filter((p) => p.hand).sort((a, b) => key(a) - key(b));
  }

  hand(raised) {
    return this.request({ type: 'hand', raised: !!raised });
  }

  /** Sends a chat line to everyone, or only to participant `to`. */
  chat(text, to = null) {
    const msg = { type: 'chat', text: String(text) };
    if (to) msg.to = to;
    return this.request(msg);
  }

  /**
   * A host's action (protocol `moderate`): mute, mute-all, ask-unmute,
   * remove, admit, deny, set-role, spotlight, lock, unlock, end,
   * roll-call-start, roll-call-next, roll-call-stop, give-floor. `params`
   * are the action's fields, e.g. {participant:'p3', role:'speaker'}.
   */
  async moderate(action, params = {}) {
    const reply = await this.request({ ...params, type: 'moderate', action });
    if ((action === 'admit' || action === 'deny') && params.participant) {
      if (this.waiting.delete(params.participant)) this.emit('waiting-list', [...this.waiting.values()]);
    }
    return reply;
  }

  /**
   * Receiving preference for one remote track (adaptive stream); repeats
   * are dropped and messages paced (subscriptions.js).
   */
  setSubscription(trackId, shown) {
    this._subs.setShown(trackId, shown);
  }

  /**
   * Caps the frame rate received of one remote video track (protocol
   * `fps`, 1..120; more is taken as 120); null or 0 lifts the cap. The
   * cap stays across later setSubscription calls. The server applies it
   * to VP8 publishers that send temporal layers (Chromium's simulcast:
   * 7.5, 15 or 30 fps).
   */
  setFrameRate(trackId, fps) {
    this._subs.setFrameRate(trackId, fps);
  }

  // ---- publishing --------------------------------------------------------

  _ensurePublisherPc() {
    if (this.pubPc) return this.pubPc;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: this.iceServers });
    this.pubPc = pc;
    pc.onconnectionstatechange = () => this._emitMediaState();
    watchIceRestart(pc, () => this.restartIce('publisher'));
    this._pubSources.clear();
    this._screenTr = null;
    return pc;
  }

  _transceiverFor(source) {
    for (const [tr, s] of this._pubSources) if (s === source && !tr.stopped) return tr;
    return null;
  }

  /**
   * Sends a new offer on the publisher connection and applies the answer.
   * Negotiations run one at a time; a refused offer is rolled back.
   */
  _negotiatePublisher() {
    const run = async () => {
      const pc = this.pubPc;
      if (!pc || pc.signalingState === 'closed') return;
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      // mids exist only after setLocalDescription. No need to wait for ICE
      // gathering: the server is ICE-lite and our checks reach its candidates.
      const tracks = [];
      for (const tr of pc.getTransceivers()) {
        if (tr.mid == null || tr.stopped || !this._pubSources.has(tr)) continue;
        if (tr.direction !== 'sendonly' && tr.direction !== 'sendrecv') continue;
        tracks.push({ mid: tr.mid, source: this._pubSources.get(tr) });
      }
      this._emitMediaState();
      let reply;
      try {
        reply = await this.request({ type: 'publish', sdp: pc.localDescription.sdp, tracks });
        if (typeof reply.sdp !== 'string') throw new YunhuiError('bad-reply', 'publish reply has no sdp');
      } catch (e) {
        if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
        throw e;
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
      this.pubMids = new Map(tracks.map((t) => [t.mid, t.source]));
    };
    const p = this._pubChain.then(run, run);
    this._pubChain = p.catch(() => {});
    return p;
  }

  /**
   * ICE restart of one media connection ('publisher' or 'subscriber'), e.g.
   * after the network changed: a new offer with new credentials on the
   * publisher, a server offer with new ones asked for on the subscriber.
   */
  restartIce(which) {
    if (which === 'publisher') {
      if (!this.pubPc || this.pubPc.signalingState === 'closed') return Promise.resolve();
      this.pubPc.restartIce();
      return this._negotiatePublisher();
    }
    if (!this.subPc || !this.sig?.isOpen) return Promise.resolve();
    return this.request({ type: 'restart-ice' });
  }

  /**
   * Publishes camera and microphone: `stream` (a preview already open) or
   * a new one. Called again after publishing was paused, it sends the same
   * transceivers again. Resolves with the local stream.
   */
  async publish({ audio = true, video = true, simulcast = false, stream } = {}) {
    this._sending = true; // before the await: a pause meanwhile wins
    let local = stream ?? this.localStream;
    if (!local || local.getTracks().every((t) => t.readyState === 'ended')) {
      local = await openLocalMedia({ audio, video, ...this.videoConstraints });
    }
    if (local !== this.localStream) {
      this.localStream = local;
      this.emit('local-stream', local);
    }
    const pc = this._ensurePublisherPc();
    for (const track of local.getTracks()) {
      const source = sourceOfTrack(track);
      const tr = this._transceiverFor(source);
      if (tr) {
        if (tr.sender.track !== track) await tr.sender.replaceTrack(track);
        tr.direction = 'sendonly';
        continue;
      }
      const init = { direction: 'sendonly', streams: [local] };
      if (track.kind === 'video' && simulcast) {
        const enc = simulcastEncodings(track.getSettings?.().height ?? 0);
        if (enc) init.sendEncodings = enc;
      }
      this._pubSources.set(pc.addTransceiver(track, init), source);
    }
    try {
      await this._negotiatePublisher();
    } catch (e) {
      this._sending = false;
      throw e;
    }
    return local;
  }

  /**
   * Adopts a stream opened elsewhere (a preview) as the local camera and
   * microphone without sending it: publish() sends it when allowed.
   */
  setLocalStream(stream) {
    if (stream === this.localStream) return;
    for (const t of this.localStream?.getTracks() ?? []) if (!stream?.getTracks().includes(t)) t.stop();
    this.localStream = stream;
    this.emit('local-stream', stream);
  }

  /** Are camera and microphone published (and not paused)? */
  isPublishing() {
    return this._sending;
  }

  /**
   * Stops sending camera and microphone because the role no longer may
   * publish. The server has already ended those tracks (and refuses a
   * publish from this role), so nothing is negotiated: the senders just
   * go quiet, and a later publish() sends the same m-sections again,
   * which the server takes as new tracks.
   */
  async pausePublishing() {
    this._sending = false;
    for (const [tr, s] of this._pubSources) {
      if (s === 'screen' || tr.stopped) continue;
      await tr.sender.replaceTrack(null).catch(() => {});
    }
    for (const [mid, s] of [...this.pubMids]) if (s !== 'screen') this.pubMids.delete(mid);
  }

  /**
   * Shares the screen: a second video track with source "screen" on the
   * publisher connection. `stream` replaces getDisplayMedia (tests, or a
   * canvas capture). The share stops by itself when the browser's "stop
   * sharing" ends the track.
   */
  async startScreenShare(opts = {}) {
    return startScreenShare(this, opts);
  }

  async stopScreenShare() {
    return stopScreenShare(this);
  }

  /** Enables or disables local tracks of `source`; true when something changed. */
  _applyLocalMute(source, muted) {
    const tracks = source === 'screen' ? this.screenStream?.getVideoTracks() ?? [] : this._localTracks(source);
    let changed = false;
    for (const t of tracks) {
      if (t.enabled === !muted) continue;
      t.enabled = !muted;
      changed = true;
    }
    return changed;
  }

  _localTracks(source) {
    const kind = source === 'microphone' ? 'audio' : 'video';
    return this.localStream?.getTracks().filter((t) => t.kind === kind) ?? [];
  }

  /**
   * Mutes or unmutes own microphone/camera/screen; the server drops muted
   * media too. When the server refuses (a host's mute holds, a roll call
   * runs) the local track goes back to how it was and this rejects.
   */
  async setMuted(source, muted) {
    const before = this.isMuted(source);
    this._applyLocalMute(source, !!muted);
    if (!this.sig?.isOpen || !this.self) return;
    this._pendingMute[source] = (this._pendingMute[source] ?? 0) + 1;
    try {
      await this.request({ type: 'mute', source, muted: !!muted });
    } catch (e) {
      this._applyLocalMute(source, before);
      throw e;
    } finally {
      this._pendingMute[source]--;
    }
  }

  isMuted(source) {
    const tracks = source === 'screen' ? this.screenStream?.getVideoTracks() ?? [] : this._localTracks(source);
    return tracks.length === 0 || tracks.every((t) => !t.enabled);
  }

  /** The deviceId of the local microphone ('audio') or camera ('video'), or null. */
  currentDevice(kind) {
    const t = this.localStream?.getTracks().find((x) => x.kind === kind);
    return t?.getSettings?.().deviceId ?? null;
  }

  /**
   * Switches microphone ('audio') or camera ('video') to `deviceId`: opens
   * it, replaces the sent track without renegotiation (replaceTrack) and
   * stops the old one. The mute state carries over.
   */
  async switchDevice(kind, deviceId) {
    const track = await openDeviceTrack(kind, deviceId, this.videoConstraints);
    const old = this.localStream?.getTracks().find((t) => t.kind === kind) ?? null;
    if (old) track.enabled = old.enabled;
    if (!this.localStream) this.localStream = new MediaStream();
    if (old) {
      this.localStream.removeTrack(old);
      old.stop();
    }
    this.localStream.addTrack(track);
    const source = sourceOfTrack(track);
    const tr = this._transceiverFor(source);
    if (tr) {
      await tr.sender.replaceTrack(track);
    } else if (this.pubPc && this.canPublish()) {
      // A device that was missing at publish time: a new m-section.
      this._pubSources.set(this.pubPc.addTransceiver(track, { direction: 'sendonly', streams: [this.localStream] }), source);
      await this._negotiatePublisher();
    }
    this.emit('local-stream', this.localStream);
    return track;
  }

  // ---- subscribing -------------------------------------------------------

  _ensureSubscriberPc() {
    if (this.subPc) return this.subPc;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: this.iceServers });
    this.subPc = pc;
    pc.onconnectionstatechange = () => this._emitMediaState();
    watchIceRestart(pc, () => this.restartIce('subscriber'));
    // Remote tracks are reconciled from the offer's mid->track list after
    // each negotiation (remotetracks.js), which also covers an m-line
    // reused for another track, where no 'track' event fires.
    pc.ontrack = () => {};
    this._emitMediaState();
    return pc;
  }

  async _onSubscriberOffer(msg) {
    if (typeof msg.sdp !== 'string') throw new YunhuiError('bad-offer', 'offer without sdp');
    const pc = this._ensureSubscriberPc();
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.send({ type: 'answer', sdp: pc.localDescription.sdp });
    const map = new Map();
    for (const t of msg.tracks ?? []) if (t && t.mid != null && t.track) map.set(String(t.mid), t.track);
    this.subMidToTrack = map;
    syncRemoteTracks(this);
  }

  // ---- stats -------------------------------------------------------------

  /** inbound-rtp stats of the subscriber connection, one entry per remote track. */
  inboundStats() {
    return inboundStats(this);
  }

  /** outbound-rtp stats of the publisher connection. */
  outboundStats() {
    return outboundStats(this);
  }

  // ---- leaving -----------------------------------------------------------

  /** Leaves the meeting (or the waiting room) and releases the devices. */
  async leave() {
    if (this._left) return;
    this._left = true;
    // Also from the waiting room, where the server may answer `error`.
    if (this.sig?.isOpen) {
      try {
        await this.request({ type: 'leave' }, 2000);
      } catch (e) {
        console.warn('yunhui: leave:', e.message);
      }
    }
    this._teardown();
  }

  _teardown() {
    this._left = true;
    for (const r of this.remote.values()) {
      this.emit('remote-track-ended', { trackId: r.trackId, participantId: r.participantId, kind: r.kind, source: r.source });
    }
    this.remote.clear();
    this._subs.clear();
    this.pubPc?.close();
    this.subPc?.close();
    this.pubPc = null;
    this.subPc = null;
    this._pubSources.clear();
    this._screenTr = null;
    this._sending = false;
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    for (const t of this.screenStream?.getTracks() ?? []) t.stop();
    this.localStream = null;
    if (this.screenStream) {
      this.screenStream = null;
      this.emit('screen-share', { active: false });
    }
    this.sig?.close();
    this._setSignalingState('closed');
    this._emitMediaState();
  }
}
