// Yunhui browser client: signaling (docs/protocol.md, version 1) and media.
// No DOM code here: app.js (or any other UI) drives a YunhuiClient and
// listens to its events.
//
//   const c = new YunhuiClient();
//   c.on('remote-track', ({ trackId, participantId, kind, track, stream }) => …);
//   await c.join({ meeting: '123456789', name: 'Alice' });
//   await c.publish();                    // camera + microphone
//   await c.setMuted('camera', true);
//   await c.leave();
//
// Events: 'signaling-state' (state), 'media-state' ({publisher, subscriber}),
// 'joined' (reply), 'participant-joined' / 'participant-updated' (PARTICIPANT),
// 'participant-left' ({id, reason}), 'track-published' / 'track-updated'
// (TRACK), 'track-unpublished' ({id, track}), 'remote-track'
// ({trackId, participantId, kind, track, stream, info}), 'remote-track-ended'
// ({trackId, participantId, kind}), 'local-stream' (MediaStream),
// 'server-error' ({code, message}), 'removed', 'ended', 'closed', 'message'
// (every server message, raw), and the protocol's other events by their type
// ('active-speaker', 'meeting-updated', 'chat', 'mute-request', 'waiting').

export const PROTOCOL_VERSION = 1;
export const CLIENT_VERSION = '0.1.0';

const REQUEST_TIMEOUT_MS = 10000;
const RESUME_WINDOW_MS = 20000; // the server keeps media alive this long
const RECONNECT_DELAY_MS = 1000;

/** A tiny event emitter (browsers have EventTarget, but plain callbacks are simpler to test). */
export class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    this._handlers.get(type)?.delete(fn);
  }

  once(type, fn) {
    const off = this.on(type, (...a) => {
      off();
      fn(...a);
    });
    return off;
  }

  emit(type, ...args) {
    for (const fn of [...(this._handlers.get(type) ?? [])]) {
      try {
        fn(...args);
      } catch (e) {
        console.error(`yunhui: '${type}' handler threw`, e);
      }
    }
  }
}

/** An `error` reply or a local failure; `code` is the protocol's error code. */
export class YunhuiError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'YunhuiError';
    this.code = code;
  }
}

/** The signaling URL of the server that served this page. */
export function defaultSignalingUrl(loc = globalThis.location) {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/ws`;
}

/** Normalises a typed meeting number: digits only ('123 456-789' => '123456789'). */
export function normalizeMeetingNumber(text) {
  const s = String(text ?? '').replace(/[\s-]/g, '');
  return /^[0-9]{1,32}$/.test(s) ? s : null;
}

/**
 * One signaling WebSocket: request/response by id with timeouts, and every
 * message without a pending id handed to onMessage.
 */
class Signaling {
  constructor(url, onMessage, onClose) {
    this.url = url;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.onMessage = onMessage;
    this.onClose = onClose;
  }

  open(timeoutMs = REQUEST_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        reject(new YunhuiError('network', `cannot open ${this.url}: ${e.message}`));
        return;
      }
      this.ws = ws;
      const timer = setTimeout(() => {
        reject(new YunhuiError('timeout', `no connection to ${this.url} after ${timeoutMs} ms`));
        ws.close();
      }, timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      ws.onmessage = (ev) => this._receive(ev.data);
      ws.onclose = (ev) => {
        clearTimeout(timer);
        reject(new YunhuiError('network', `signaling connection closed (${ev.code})`));
        this._failPending(new YunhuiError('network', `signaling connection closed (${ev.code} ${ev.reason || ''})`.trim()));
        if (this.ws === ws) this.onClose(ev);
      };
      ws.onerror = () => {}; // onclose follows with the code
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(msg) {
    if (!this.isOpen) throw new YunhuiError('network', 'signaling is not connected');
    this.ws.send(JSON.stringify(msg));
  }

  /** Sends msg with a fresh id; resolves with the reply, rejects on `error`. */
  request(msg, timeoutMs = REQUEST_TIMEOUT_MS) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new YunhuiError('timeout', `no reply to '${msg.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, type: msg.type });
      try {
        this.send({ ...msg, id });
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(e);
      }
    });
  }

  close(code = 1000) {
    const ws = this.ws;
    this.ws = null;
    this._failPending(new YunhuiError('closed', 'signaling closed'));
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(code);
  }

  _failPending(err) {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  _receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('yunhui: ignoring non-JSON message', String(data).slice(0, 200));
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      // `waiting` is an interim reply: the same id is answered again later.
      if (msg.type === 'waiting') {
        clearTimeout(p.timer);
        this.onMessage(msg);
        return;
      }
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new YunhuiError(msg.code || 'error', msg.message));
      else p.resolve(msg);
      return;
    }
    this.onMessage(msg);
  }
}

function pcMediaState(pc) {
  if (!pc) return 'idle';
  switch (pc.connectionState) {
    case 'new':
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'disconnected':
      return 'reconnecting';
    case 'failed':
      return 'failed';
    case 'closed':
      return 'closed';
    default:
      return pc.connectionState;
  }
}

export class YunhuiClient extends Emitter {
  constructor(opts = {}) {
    super();
    this.url = opts.url ?? defaultSignalingUrl();
    this.clientInfo = { kind: 'web', version: CLIENT_VERSION, ...(opts.client ?? {}) };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.sig = null;
    this.signalingState = 'idle'; // idle|connecting|connected|reconnecting|closed|failed
    this.self = null;
    this.meeting = null;
    this.participants = new Map(); // id -> PARTICIPANT (self included)
    this.tracks = new Map(); // id -> TRACK (every track in the meeting)
    this.iceServers = [];
    this.resumeToken = null;
    this.localStream = null;
    this.pubPc = null;
    this.pubMids = new Map(); // mid -> source
    this.subPc = null;
    this.subMidToTrack = new Map(); // mid -> track id (last applied offer)
    this.remote = new Map(); // track id -> {trackId, participantId, kind, track, stream, mid}
    this._offerChain = Promise.resolve();
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

  /** Connects and joins; resolves with the `joined` reply. */
  async join({ meeting, name, passcode, token }) {
    this._left = false;
    this._setSignalingState('connecting');
    try {
      await this._connect();
      const req = { type: 'join', meeting: String(meeting), name, client: this.clientInfo };
      if (passcode) req.passcode = passcode;
      if (token) req.token = token;
      // A waiting room may hold the reply for long: no timeout once `waiting` came.
      const joined = await this.request(req, this.requestTimeoutMs);
      this._applyJoined(joined);
      this._setSignalingState('connected');
      return joined;
    } catch (e) {
      this._setSignalingState('failed');
      this.sig?.close();
      throw e;
    }
  }

  _applyJoined(msg) {
    this.self = msg.self ?? null;
    this.meeting = msg.meeting ?? null;
    this.resumeToken = msg.resumeToken ?? null;
    if (Array.isArray(msg.iceServers)) this.iceServers = msg.iceServers;
    this.participants.clear();
    for (const p of msg.participants ?? []) this.participants.set(p.id, p);
    if (this.self) this.participants.set(this.self.id, this.self);
    this.tracks.clear();
    for (const t of msg.tracks ?? []) this.tracks.set(t.id, t);
    this.emit('joined', msg);
    // Tracks whose TRACK object came after the subscriber offer.
    this._refreshRemoteInfo();
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
        if (msg.participant?.id) {
          this.participants.set(msg.participant.id, msg.participant);
          if (this.self && msg.participant.id === this.self.id) this.self = msg.participant;
          this.emit(msg.type, msg.participant);
        }
        break;
      case 'participant-left':
        this.participants.delete(msg.id);
        for (const [id, t] of this.tracks) if (t.participant === msg.id) this.tracks.delete(id);
        this.emit('participant-left', { id: msg.id, reason: msg.reason });
        break;
      case 'track-published':
      case 'track-updated':
        if (msg.track?.id) {
          this.tracks.set(msg.track.id, msg.track);
          this._refreshRemoteInfo();
          this.emit(msg.type, msg.track);
        }
        break;
      case 'track-unpublished': {
        const track = this.tracks.get(msg.id);
        this.tracks.delete(msg.id);
        this.emit('track-unpublished', { id: msg.id, track });
        break;
      }
      case 'waiting':
        // With an id: our join is held in the waiting room. Without: a host
        // is told that someone waits.
        this.emit(msg.participant ? 'waiting' : 'waiting-room', msg);
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

  // ---- publishing --------------------------------------------------------

  /**
   * Opens camera and microphone and publishes them. Falls back to audio only
   * (or video only) when one device is missing. Resolves with the local stream.
   */
  async publish({ audio = true, video = true, simulcast = false, stream } = {}) {
    let local = stream;
    if (!local) local = await openLocalMedia({ audio, video });
    this.localStream = local;
    this.emit('local-stream', local);
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: this.iceServers });
    this.pubPc = pc;
    pc.onconnectionstatechange = () => this._emitMediaState();
    const entries = [];
    for (const track of local.getTracks()) {
      const init = { direction: 'sendonly', streams: [local] };
      if (track.kind === 'video' && simulcast) {
        // rids low to high, as the protocol names them.
        init.sendEncodings = [
          { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
          { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
          { rid: 'f', maxBitrate: 1500000 },
        ];
      }
      const tr = pc.addTransceiver(track, init);
      entries.push({ tr, source: track.kind === 'audio' ? 'microphone' : 'camera' });
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    // mids exist only after setLocalDescription. No need to wait for ICE
    // gathering: the server is ICE-lite and our checks reach its candidates.
    const tracks = entries.map(({ tr, source }) => ({ mid: tr.mid, source }));
    this.pubMids = new Map(tracks.map((t) => [t.mid, t.source]));
    this._emitMediaState();
    const reply = await this.request({ type: 'publish', sdp: pc.localDescription.sdp, tracks });
    if (typeof reply.sdp !== 'string') throw new YunhuiError('bad-reply', 'publish reply has no sdp');
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    return local;
  }

  /** Mutes or unmutes own microphone/camera; the server drops muted media too. */
  async setMuted(source, muted) {
    const kind = source === 'microphone' ? 'audio' : 'video';
    for (const t of this.localStream?.getTracks() ?? []) if (t.kind === kind) t.enabled = !muted;
    if (this.sig?.isOpen) await this.request({ type: 'mute', source, muted: !!muted });
  }

  isMuted(source) {
    const kind = source === 'microphone' ? 'audio' : 'video';
    const tracks = this.localStream?.getTracks().filter((t) => t.kind === kind) ?? [];
    return tracks.length === 0 || tracks.every((t) => !t.enabled);
  }

  // ---- subscribing -------------------------------------------------------

  _ensureSubscriberPc() {
    if (this.subPc) return this.subPc;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: this.iceServers });
    this.subPc = pc;
    pc.onconnectionstatechange = () => this._emitMediaState();
    // Remote tracks are reconciled from the offer's mid->track list after
    // each negotiation (_syncRemoteTracks), which also covers an m-line
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
    this._syncRemoteTracks();
  }

  _syncRemoteTracks() {
    const pc = this.subPc;
    if (!pc) return;
    const byMid = new Map();
    for (const tr of pc.getTransceivers()) if (tr.mid != null && !tr.stopped) byMid.set(tr.mid, tr);
    const wanted = new Map(); // trackId -> transceiver
    for (const [mid, trackId] of this.subMidToTrack) {
      const tr = byMid.get(mid);
      if (tr) wanted.set(trackId, tr);
    }
    for (const [trackId, r] of [...this.remote]) {
      const tr = wanted.get(trackId);
      if (!tr || tr.receiver.track !== r.track) {
        this.remote.delete(trackId);
        this.emit('remote-track-ended', { trackId, participantId: r.participantId, kind: r.kind });
      }
    }
    for (const [trackId, tr] of wanted) {
      if (this.remote.has(trackId)) continue;
      const track = tr.receiver.track;
      const info = this.tracks.get(trackId) ?? null;
      const r = {
        trackId,
        mid: tr.mid,
        participantId: info?.participant ?? null,
        kind: info?.kind ?? track.kind,
        track,
        stream: new MediaStream([track]),
        info,
      };
      this.remote.set(trackId, r);
      if (r.participantId) this.emit('remote-track', r);
    }
  }

  /** Emits tracks held back because their TRACK object arrived late. */
  _refreshRemoteInfo() {
    for (const r of this.remote.values()) {
      const info = this.tracks.get(r.trackId);
      if (!info) continue;
      r.info = info;
      if (!r.participantId && info.participant) {
        r.participantId = info.participant;
        r.kind = info.kind;
        this.emit('remote-track', r);
      }
    }
  }

  // ---- stats -------------------------------------------------------------

  /** inbound-rtp stats of the subscriber connection, one entry per remote track. */
  async inboundStats() {
    const pc = this.subPc;
    if (!pc) return [];
    const report = await pc.getStats();
    const byTrackIdent = new Map();
    for (const tr of pc.getTransceivers()) if (tr.mid != null) byTrackIdent.set(tr.receiver.track.id, tr.mid);
    const out = [];
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const mid = s.mid ?? byTrackIdent.get(s.trackIdentifier);
      const trackId = mid != null ? this.subMidToTrack.get(String(mid)) ?? null : null;
      const info = trackId ? this.tracks.get(trackId) : null;
      const participant = info?.participant ?? this.remote.get(trackId)?.participantId ?? null;
      out.push({
        participant,
        participantName: participant ? this.participants.get(participant)?.name ?? null : null,
        trackId,
        mid: mid ?? null,
        kind: s.kind,
        ssrc: s.ssrc,
        framesDecoded: s.framesDecoded ?? 0,
        framesReceived: s.framesReceived ?? 0,
        frameWidth: s.frameWidth ?? 0,
        frameHeight: s.frameHeight ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        packetsLost: s.packetsLost ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        keyFramesDecoded: s.keyFramesDecoded ?? 0,
        pliCount: s.pliCount ?? 0,
        nackCount: s.nackCount ?? 0,
        totalAudioEnergy: s.totalAudioEnergy ?? 0,
        audioLevel: s.audioLevel ?? 0,
        jitter: s.jitter ?? 0,
      });
    });
    return out;
  }

  /** outbound-rtp stats of the publisher connection. */
  async outboundStats() {
    const pc = this.pubPc;
    if (!pc) return [];
    const report = await pc.getStats();
    const out = [];
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      out.push({
        mid: s.mid ?? null,
        rid: s.rid ?? null,
        kind: s.kind,
        ssrc: s.ssrc,
        packetsSent: s.packetsSent ?? 0,
        bytesSent: s.bytesSent ?? 0,
        framesEncoded: s.framesEncoded ?? 0,
        frameWidth: s.frameWidth ?? 0,
        keyFramesEncoded: s.keyFramesEncoded ?? 0,
        pliCount: s.pliCount ?? 0,
        nackCount: s.nackCount ?? 0,
      });
    });
    return out;
  }

  // ---- leaving -----------------------------------------------------------

  async leave() {
    if (this._left) return;
    this._left = true;
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
      this.emit('remote-track-ended', { trackId: r.trackId, participantId: r.participantId, kind: r.kind });
    }
    this.remote.clear();
    this.pubPc?.close();
    this.subPc?.close();
    this.pubPc = null;
    this.subPc = null;
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.localStream = null;
    this.sig?.close();
    this._setSignalingState('closed');
    this._emitMediaState();
  }
}

/** getUserMedia with camera 640x480 and microphone, degrading to what exists. */
export async function openLocalMedia({ audio = true, video = true } = {}) {
  const v = video ? { width: { ideal: 640 }, height: { ideal: 480 } } : false;
  const attempts = [{ audio, video: v }];
  if (audio && video) attempts.push({ audio: true, video: false }, { audio: false, video: v });
  let lastError = null;
  for (const c of attempts) {
    if (!c.audio && !c.video) continue;
    try {
      return await navigator.mediaDevices.getUserMedia(c);
    } catch (e) {
      lastError = e;
      // Permission refused: asking again for less will not help.
      if (e.name === 'NotAllowedError' || e.name === 'SecurityError') break;
    }
  }
  throw lastError ?? new YunhuiError('no-media', 'no camera or microphone requested');
}
