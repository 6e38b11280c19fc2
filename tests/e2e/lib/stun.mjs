// Builds STUN messages (RFC 5389) in JS so the e2e tests can send hostile
// ones to the server's media port: with a wrong MESSAGE-INTEGRITY key, with
// a bad FINGERPRINT, truncated, and so on.
//
//   stunBindingRequest({ username, key, priority, controlling, tieBreaker,
//                        useCandidate, transactionId, software })  -> Buffer
//   parseStunHeader(buf) -> {type, length, transactionId} | null
//   crc32(buf) -> unsigned 32-bit

import { createHmac, randomBytes } from 'node:crypto';

export const MAGIC_COOKIE = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;
export const BINDING_ERROR = 0x0111;

const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of ISO 3309 / ITU-T V.42, as FINGERPRINT uses (RFC 5389 §15.5). */
export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function attr(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const out = Buffer.alloc(4 + value.length + pad);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

function header(type, bodyLength, tid) {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(bodyLength, 2);
  h.writeUInt32BE(MAGIC_COOKIE, 4);
  tid.copy(h, 8);
  return h;
}

/**
 * A Binding request as an ICE agent sends it (RFC 8445 §7.1.1). `key` is the
 * short-term credential password used for MESSAGE-INTEGRITY (RFC 5389
 * §15.4): pass the wrong one to test the server's check. `fingerprint:false`
 * leaves FINGERPRINT out; `badFingerprint:true` flips one of its bits.
 */
export function stunBindingRequest(o = {}) {
  const tid = o.transactionId ?? randomBytes(12);
  const attrs = [];
  if (o.software) attrs.push(attr(ATTR.SOFTWARE, Buffer.from(o.software, 'utf8')));
  if (o.username !== undefined) attrs.push(attr(ATTR.USERNAME, Buffer.from(o.username, 'utf8')));
  if (o.priority !== undefined) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(o.priority >>> 0);
    attrs.push(attr(ATTR.PRIORITY, v));
  }
  if (o.controlling !== undefined) {
    const v = o.tieBreaker ?? randomBytes(8);
    attrs.push(attr(o.controlling ? ATTR.ICE_CONTROLLING : ATTR.ICE_CONTROLLED, v));
  }
  if (o.useCandidate) attrs.push(attr(ATTR.USE_CANDIDATE, Buffer.alloc(0)));
  let body = Buffer.concat(attrs);
  if (o.key !== undefined) {
    // The length in the header covers MESSAGE-INTEGRITY itself (24 bytes)
    // but not what follows it (RFC 5389 §15.4).
    const h = header(BINDING_REQUEST, body.length + 24, tid);
    const mac = createHmac('sha1', Buffer.from(o.key, 'utf8')).update(Buffer.concat([h, body])).digest();
    body = Buffer.concat([body, attr(ATTR.MESSAGE_INTEGRITY, mac)]);
  }
  if (o.fingerprint !== false) {
    const h = header(BINDING_REQUEST, body.length + 8, tid);
    let fp = (crc32(Buffer.concat([h, body])) ^ 0x5354554e) >>> 0;
    if (o.badFingerprint) fp = (fp ^ 1) >>> 0;
    const v = Buffer.alloc(4);
    v.writeUInt32BE(fp);
    body = Buffer.concat([body, attr(ATTR.FINGERPRINT, v)]);
  }
  return Buffer.concat([header(BINDING_REQUEST, body.length, tid), body]);
}

export function parseStunHeader(buf) {
  if (buf.length < 20 || (buf[0] & 0xc0) !== 0 || buf.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  return { type: buf.readUInt16BE(0), length: buf.readUInt16BE(2), transactionId: buf.subarray(8, 20) };
}
