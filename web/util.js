// Small pieces of the client that need no connection: an event emitter,
// URL and meeting-number helpers, a peer connection's state in protocol
// terms, and the simulcast encodings of a camera.

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

/** A peer connection's state as the client reports it (mediaState). */
export function pcMediaState(pc) {
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

/**
 * Camera encodings for simulcast, rids low to high as the protocol names
 * them. Browsers send as many layers as the capture size supports (about
 * three from 540p, two from 360p), so smaller captures ask for fewer and
 * keep the full-size layer; below 360p one encoding is enough.
 */
export function simulcastEncodings(height) {
  if (height >= 540) {
    return [
      { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
      { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
      { rid: 'f', maxBitrate: 1500000 },
    ];
  }
  if (height >= 360) {
    return [
      { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 300000 },
      { rid: 'f', maxBitrate: 1200000 },
    ];
  }
  return null;
}
