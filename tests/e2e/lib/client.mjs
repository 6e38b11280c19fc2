// A WebSocket client of the signaling protocol for end-to-end tests: an
// inbox of parsed messages, requests with fresh ids, waiting for replies,
// events and the close.
//
//   import { ProtocolClient } from './lib/client.mjs';
//   const c = new ProtocolClient(srv.wsUrl); await c.opened();
//   const joined = await c.request({ type: 'join', meeting, name });

import assert from 'node:assert/strict';
import WebSocket from 'ws';

export const WAIT_MS = 5000;

export class ProtocolClient {
  /** `opts` go to the ws client, e.g. {localAddress: '127.0.0.7'}. */
  constructor(url, opts = {}) {
    this.ws = new WebSocket(url, opts);
    this.inbox = [];
    this.waiters = [];
    this.nextId = 1;
    this.closed = null; // {code, reason} once closed
    this.ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'the server sends text frames only');
      const msg = JSON.parse(data.toString('utf8'));
      assert.equal(typeof msg.type, 'string');
      this.inbox.push(msg);
      this.#wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
    this.ws.on('error', () => {});
  }

  opened() {
    return new Promise((res, rej) => {
      if (this.ws.readyState === WebSocket.OPEN) return res();
      this.ws.once('open', res);
      this.ws.once('error', rej);
    });
  }

  #wake() {
    for (const w of [...this.waiters]) w();
  }

  send(msg) {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first unread message matching `pred` (removed from the inbox). */
  waitFor(pred, what = 'message', ms = WAIT_MS) {
    return new Promise((res, rej) => {
      const check = () => {
        const i = this.inbox.findIndex(pred);
        if (i >= 0) {
          done();
          res(this.inbox.splice(i, 1)[0]);
        } else if (this.closed && what !== 'close') {
          done();
          rej(new Error(`connection closed (${this.closed.code}) while waiting for ${what}; inbox: ${this.dump()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`timed out waiting for ${what}; inbox: ${this.dump()}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  event(type, pred = () => true, ms = WAIT_MS) {
    return this.waitFor((m) => m.type === type && pred(m), `'${type}'`, ms);
  }

  /** Sends a request with a fresh id; resolves with the reply carrying it. */
  async request(msg) {
    const id = this.nextId++;
    this.send({ ...msg, id });
    return this.waitFor((m) => m.id === id, `reply to ${msg.type} #${id}`);
  }

  waitClose(ms = WAIT_MS) {
    return new Promise((res, rej) => {
      if (this.closed) return res(this.closed);
      const timer = setTimeout(() => rej(new Error('connection not closed')), ms);
      this.ws.once('close', () => {
        clearTimeout(timer);
        res(this.closed);
      });
    });
  }

  /** Nothing matching `pred` arrives within `ms`. */
  async quiet(pred, ms = 300) {
    await new Promise((r) => setTimeout(r, ms));
    assert.equal(this.inbox.filter(pred).length, 0, `unexpected: ${this.dump()}`);
  }

  drain() {
    this.inbox.length = 0;
  }

  dump() {
    return JSON.stringify(this.inbox.map((m) => m.type));
  }

  close() {
    this.ws.terminate();
  }
}
