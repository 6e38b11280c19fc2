// Receiving preferences (protocol `subscription`), one per remote track:
// repeats are dropped and messages are paced, since the server closes a
// connection that sends more than 50 messages a second. Only the newest
// preference of a track waits in the queue.

const INTERVAL_MS = 100; // at most 10 preference messages a second

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
