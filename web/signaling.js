// The signaling WebSocket of the Yunhui client (docs/protocol.md): one JSON
// object per text frame, requests matched to replies by id, with timeouts.
// Used by yunhui.js; no DOM code.

export const REQUEST_TIMEOUT_MS = 10000;

/** An `error` reply or a local failure; `code` is the protocol's error code. */
export class YunhuiError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'YunhuiError';
    this.code = code;
  }
}

/**
 * One signaling WebSocket: request/response by id with timeouts, and every
 * message without a pending id handed to onMessage.
 */
export class Signaling {
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
