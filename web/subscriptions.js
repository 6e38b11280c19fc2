// Receiving preferences (protocol `subscription`), one per remote track:
// what a track is shown at and its frame-rate cap, always sent whole (the
// server replaces a track's preference per message). Repeats are dropped
// and messages are paced, since the server closes a connection that sends
// more than 50 messages a second. Only the newest preference of a track
// waits in the queue.

const INTERVAL_MS = 100; // at most 10 preference messages a second

/** Per-track preferences turned into paced `subscription` messages. */
export class Subscriptions {
  /** `send(msg)` delivers one message when its turn comes. */
  constructor(send) {
    this._pacer = new SubscriptionPacer(send);
    this._shown = new Map(); // track id -> {quality, width, height} last set
    this._fps = new Map(); // track id -> frame-rate cap
  }

  setShown(trackId, { quality = 'high', width, height } = {}) {
    this._shown.set(trackId, { quality, width, height });
    this._queue(trackId);
  }

  /** 1..120 fps (more is taken as 120); null or 0 lifts the cap. */
  setFrameRate(trackId, fps) {
    const n = Math.round(Number(fps));
    if (Number.isFinite(n) && n > 0) this._fps.set(trackId, Math.min(120, n));
    else this._fps.delete(trackId);
    this._queue(trackId);
  }

  forget(trackId) {
    this._pacer.forget(trackId);
    this._shown.delete(trackId);
    this._fps.delete(trackId);
  }

  clear() {
    this._pacer.clear();
    this._shown.clear();
    this._fps.clear();
  }

  _queue(trackId) {
    const { quality = 'high', width, height } = this._shown.get(trackId) ?? {};
    const pref = { type: 'subscription', track: trackId, quality };
    if (width) pref.width = Math.round(width);
    if (height) pref.height = Math.round(height);
    const fps = this._fps.get(trackId);
    if (fps) pref.fps = fps;
    this._pacer.set(trackId, pref);
  }
}

export class SubscriptionPacer {
  /** `send(pref)` delivers one message when its turn comes. */
  constructor(send) {
    this._send = send;
    this._sent = new Map(); // track id -> last preference queued (JSON)
    this._queue = new Map(); // track id -> preference waiting to be sent
    this._timer = null;
  }

  set(trackId, pref) {
    const key = JSON.stringify(pref);
    if (this._sent.get(trackId) === key && !this._queue.has(trackId)) return;
    this._sent.set(trackId, key);
    this._queue.set(trackId, pref);
    this._pump();
  }

  /** The track is gone: nothing more is sent for it. */
  forget(trackId) {
    this._sent.delete(trackId);
    this._queue.delete(trackId);
  }

  /** Drops everything waiting (the client left). */
  clear() {
    clearTimeout(this._timer);
    this._timer = null;
    this._queue.clear();
  }

  _pump() {
    if (this._timer || this._queue.size === 0) return;
    this._timer = setTimeout(() => {
      this._timer = null;
      const [trackId, pref] = this._queue.entries().next().value;
      this._queue.delete(trackId);
      this._send(pref);
      this._pump();
    }, INTERVAL_MS);
  }
}
