// Janus VideoRoom signaling for bench/quality over the plain HTTP API, the
// flow of tools/yunhui-term/janus.c: create a session, attach the
// VideoRoom plugin, join, offer/answer with the whole SDP (candidates
// gathered first: Janus is ICE-lite), events by long poll, keepalives.
// https://janus.conf.meetecho.com/docs/videoroom.html (1.x)
import { randomBytes } from 'node:crypto';
import { sleep } from './sys.mjs';

const KEEPALIVE_MS = 15000;
const REQ_TIMEOUT_MS = 5000;
const EVENT_TIMEOUT_MS = 15000;

class JanusSession {
  constructor(url) {
    this.url = url;
    this.events = [];
    this.waiters = [];
    this.closed = false;
    this.abort = new AbortController();
  }

  async post(path, body) {
    const res = await fetch(`${this.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, transaction: randomBytes(6).toString('hex') }),
      signal: AbortSignal.timeout(REQ_TIMEOUT_MS),
    });
    const j = await res.json();
    if (j.janus === 'error')
      throw new Error(`Janus: ${j.error?.reason ?? JSON.stringify(j)}`);
    return j;
  }

  async create() {
    this.id = (await this.post('', { janus: 'create' })).data.id;
    this.keepalive = setInterval(() => {
      this.post(`/${this.id}`, { janus: 'keepalive' }).catch(() => {});
    }, KEEPALIVE_MS);
    this.polling = this.poll();
  }

  async poll() {
    while (!this.closed) {
      try {
        const res = await fetch(`${this.url}/${this.id}?maxev=16`, { signal: this.abort.signal });
        const j = await res.json();
        for (const e of Array.isArray(j) ? j : [j]) {
          this.events.push(e);
          for (const w of this.waiters.slice())
            w(e);
        }
      } catch {
        if (!this.closed)
          await sleep(200);
      }
    }
  }

  async attach() {
    return (await this.post(`/${this.id}`, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  }

  message(handle, body, jsep) {
    return this.post(`/${this.id}/${handle}`, { janus: 'message', body, ...(jsep ? { jsep } : {}) });
  }

  // The first VideoRoom event of `handle` (already received or to come)
  // that `pred` accepts; a VideoRoom error event rejects.
  event(handle, pred, what, type = 'event') {
    return new Promise((resolve, reject) => {
      const check = (e) => {
        if (e.sender !== handle || e.janus !== type)
          return false;
        const d = e.plugindata?.data ?? {};
        if (d.error_code) {
          reject(new Error(`Janus ${what}: ${d.error}`));
          return true;
        }
        if (!pred(d, e))
          return false;
        resolve(e);
        return true;
      };
      if (this.events.some(check))
        return;
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`Janus: no ${what} event within ${EVENT_TIMEOUT_MS} ms`));
      }, EVENT_TIMEOUT_MS);
      const w = (e) => {
        if (check(e)) {
          clearTimeout(t);
          this.waiters.splice(this.waiters.indexOf(w), 1);
        }
      };
      this.waiters.push(w);
    });
  }

  async close() {
    if (this.closed)
      return;
    this.closed = true;
    clearInterval(this.keepalive);
    await this.post(`/${this.id}`, { janus: 'destroy' }).catch(() => {});
    this.abort.abort();
    await this.polling;
  }
}

// A creates the room (VP8 + Opus, no bitrate cap, as the other benches) and
// publishes: `offer()` returns the page's offer, `answer(sdp)` applies
// Janus's. Our rids are listed low to high (q, h, f): rid_order "lmh".
export async function janusPublish(url, room, offer, answer) {
  const s = new JanusSession(url);
  await s.create();
  try {
    const h = await s.attach();
    const created = await s.message(h, {
      request: 'create', room, publishers: 4, permanent: false, notify_joining: false,
      audiocodec: 'opus', videocodec: 'vp8', bitrate: 0, fir_freq: 0,
    });
    const cd = created.plugindata?.data ?? {};
    if (cd.error_code && cd.error_code !== 427)
      throw new Error(`Janus create room: ${cd.error}`);
    await s.message(h, { request: 'join', ptype: 'publisher', room, display: 'A' });
    const joined = await s.event(h, (d) => d.videoroom === 'joined', 'joined');
    const sdp = await offer();
    await s.message(h, { request: 'publish', audio: true, video: true },
                    { type: 'offer', sdp, trickle: false, rid_order: 'lmh' });
    const conf = await s.event(h, (d, e) => d.configured === 'ok' && e.jsep, 'configured');
    await answer(conf.jsep.sdp);
    // The feed exists for subscribers once its PeerConnection is up.
    await s.event(h, () => true, 'webrtcup', 'webrtcup');
    return { feed: joined.plugindata.data.id, close: () => s.close() };
  } catch (e) {
    await s.close();
    throw e;
  }
}

// B subscribes to A's feed on the highest substream and temporal layer,
// with Janus's default fallback; `answer(offer)` returns the page's answer.
export async function janusSubscribe(url, room, feed, answer) {
  const s = new JanusSession(url);
  await s.create();
  try {
    const h = await s.attach();
    await s.message(h, { request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
    const att = await s.event(h, (d, e) => d.videoroom === 'attached' && e.jsep, 'attached');
    const sdp = await answer(att.jsep.sdp);
    await s.message(h, { request: 'start' }, { type: 'answer', sdp, trickle: false });
    await s.event(h, (d) => d.started === 'ok', 'started');
    const video = (att.plugindata.data.streams ?? []).find((x) => x.type === 'video');
    if (video)
      await s.message(h, { request: 'configure', streams: [{ mid: video.mid, substream: 2, temporal: 2 }] });
    return { close: () => s.close() };
  } catch (e) {
    await s.close();
    throw e;
  }
}
