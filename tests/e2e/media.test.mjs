// Browser end-to-end tests: the real server binary and headless Chromium
// (fake camera: a test pattern; fake microphone: a beep) running the web
// client in web/. Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/
// Each scenario starts its own server and browser and stays under 90 s.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import WebSocket from 'ws';

import { launchBrowser, openParticipant, saveScreenshots } from './lib/browser.mjs';
import { CLK_TCK, startServer } from './lib/server.mjs';
import { BINDING_SUCCESS, parseStunHeader, stunBindingRequest } from './lib/stun.mjs';

const SCENARIO_TIMEOUT_MS = 90000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function meetingNumber() {
  return String(randomInt(100000000, 999999999));
}

// ---- harness ---------------------------------------------------------------

/**
 * Runs `body(env)` with a fresh server and browser; on failure saves
 * screenshots and prints the server log tail and the pages' console.
 */
async function withEnv(name, body) {
  const env = { parts: [], srv: null, browser: null, notes: [] };
  try {
    env.srv = await startServer();
    env.browser = await launchBrowser();
    await body(env);
    // Short notes (flow samples, what the bad input got back) help reading a
    // CI log even when all passed; YH_E2E_VERBOSE=1 adds the server log.
    for (const n of env.notes) console.log(`note: ${n}`);
    if (process.env.YH_E2E_VERBOSE) console.log(`---- server log tail:\n${env.srv.logTail(200)}`);
  } catch (err) {
    const shots = await saveScreenshots(env.parts, name).catch((e) => [`(screenshots failed: ${e.message})`]);
    const lines = [`---- ${name} failed: ${err.message}`];
    if (env.notes.length) lines.push('---- notes', ...env.notes);
    if (env.srv) {
      lines.push(`---- server ${env.srv.alive() ? 'alive' : `exited ${JSON.stringify(env.srv.exitInfo)}`}; log tail:`);
      lines.push(env.srv.logTail(120));
    }
    for (const p of env.parts) {
      lines.push(`---- console of ${p.label} (last 40 lines):`, ...p.console.slice(-40));
      try {
        if (!p.page.isClosed()) {
          const info = await p.page.evaluate(async () => ({
            state: window.__yh?.state,
            signaling: window.__yh?.client?.signalingState,
            media: window.__yh?.client?.mediaState(),
            tiles: window.__yh?.tiles(),
            inbound: await window.__yh?.inboundStats(),
            outbound: await window.__yh?.outboundStats(),
          }));
          lines.push(`---- state of ${p.label}: ${JSON.stringify(info)}`);
        }
      } catch (e) {
        lines.push(`(state of ${p.label} unavailable: ${e.message})`);
      }
    }
    lines.push('---- screenshots:', ...shots);
    console.error(lines.join('\n'));
    throw err;
  } finally {
    for (const p of env.parts) await p.close();
    await env.browser?.close().catch(() => {});
    await env.srv?.stop();
  }
}

/** Opens a page for `name` and joins `meeting`, through the form or ?autojoin=1. */
async function join(env, meeting, name, { viaForm = false } = {}) {
  const p = await openParticipant(env.browser, env.srv.baseUrl, { meeting: viaForm ? undefined : meeting, name, autojoin: !viaForm });
  env.parts.push(p);
  if (viaForm) {
    await p.page.fill('#meeting-input', meeting);
    await p.page.fill('#name-input', name);
    await p.page.click('#join-button');
  }
  await p.page.waitForFunction(() => ['joined', 'error', 'left'].includes(window.__yh?.state), null, { timeout: 10000 });
  const state = await p.page.evaluate(() => window.__yh.state);
  if (state !== 'joined') {
    const msg = await p.page.evaluate(() => document.querySelector('#join-error')?.textContent || document.querySelector('#banner-text')?.textContent);
    throw new Error(`${name} could not join meeting ${meeting}: state ${state}: ${msg}`);
  }
  return p;
}

async function tiles(p) {
  return p.page.evaluate(() => window.__yh.tiles());
}

/** Waits until `p` shows exactly the tiles of `names` (others' names). */
async function waitForTiles(p, names, timeout = 15000) {
  try {
    await p.page.waitForFunction(
      (want) => {
        const have = window.__yh.tiles().map((t) => t.name).sort();
        return JSON.stringify(have) === JSON.stringify([...want].sort());
      },
      names,
      { timeout, polling: 200 },
    );
  } catch {
    throw new Error(`${p.label} shows tiles ${JSON.stringify((await tiles(p)).map((t) => t.name))}, expected ${JSON.stringify(names)} within ${timeout} ms`);
  }
}

/** inbound stats of `p` keyed by `${participantName}/${kind}`. */
async function inbound(p) {
  const list = await p.page.evaluate(() => window.__yh.inboundStats());
  const out = {};
  for (const s of list) {
    const key = `${s.participantName ?? s.participant ?? '?'}/${s.kind}`;
    // With several streams of one kind (simulcast, renegotiation) keep the busiest.
    if (!out[key] || s.packetsReceived > out[key].packetsReceived) out[key] = s;
  }
  return out;
}

/** Two samples `gapMs` apart: per remote name, how video frames and audio packets moved. */
async function sampleFlow(p, names, gapMs = 2000) {
  const a = await inbound(p);
  await sleep(gapMs);
  const b = await inbound(p);
  const flow = {};
  for (const n of names) {
    const v0 = a[`${n}/video`];
    const v1 = b[`${n}/video`];
    const a0 = a[`${n}/audio`];
    const a1 = b[`${n}/audio`];
    flow[n] = {
      frames: v1 && v0 ? v1.framesDecoded - v0.framesDecoded : v1 ? v1.framesDecoded : 0,
      width: v1?.frameWidth ?? 0,
      height: v1?.frameHeight ?? 0,
      audioPackets: a1 && a0 ? a1.packetsReceived - a0.packetsReceived : a1 ? a1.packetsReceived : 0,
      audioEnergy: a1?.totalAudioEnergy ?? 0,
      hasVideo: !!v1,
      hasAudio: !!a1,
    };
  }
  return flow;
}

/** Polls until every name's video and audio flow on `p` (frames rising, width > 0). */
async function waitForFlow(p, names, { timeout = 20000, audio = true } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await sampleFlow(p, names, 1000);
    const ok = names.every((n) => last[n].frames > 0 && last[n].width > 0 && (!audio || last[n].audioPackets > 0));
    if (ok) return last;
    if (Date.now() > deadline) throw new Error(`${p.label}: media from ${names.join(', ')} not flowing within ${timeout} ms: ${JSON.stringify(last)}`);
  }
}

/** Polls until `name`'s video frames on `p` stop rising over 1 s; returns the ms it took. */
async function waitForVideoStop(p, name, timeout = 6000) {
  const t0 = Date.now();
  let last;
  for (;;) {
    last = await sampleFlow(p, [name], 1000);
    if (last[name].frames === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeout) {
      throw new Error(`${p.label}: ${name}'s video still decodes (${last[name].frames} frames/s) ${timeout} ms after mute; the server should drop muted media`);
    }
  }
}

async function waitForTileVideo(p, name, want, timeout = 5000) {
  try {
    await p.page.waitForFunction(
      ([n, w]) => window.__yh.tiles().some((t) => t.name === n && t.video === w),
      [name, want],
      { timeout, polling: 100 },
    );
  } catch {
    throw new Error(`${p.label}: tile of ${name} not video=${want} within ${timeout} ms: ${JSON.stringify(await tiles(p))}`);
  }
}

// ---- scenario 1 -------------------------------------------------------------

test('three browsers: see and hear each other, mute, unmute, leave', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('three-participants', async (env) => {
    const meeting = meetingNumber();
    const a = await join(env, meeting, 'Alice', { viaForm: true });
    const b = await join(env, meeting, 'Bob');
    const c = await join(env, meeting, 'Carol');
    const names = { Alice: a, Bob: b, Carol: c };
    const others = (me) => Object.keys(names).filter((n) => n !== me);

    for (const [n, p] of Object.entries(names)) await waitForTiles(p, others(n));
    for (const [n, p] of Object.entries(names)) {
      const flow = await waitForFlow(p, others(n));
      env.notes.push(`${n} receives ${JSON.stringify(flow)}`);
    }
    // The fake microphone beeps, so decoded audio has energy.
    for (const [n, p] of Object.entries(names)) {
      const flow = await sampleFlow(p, others(n), 2000);
      for (const o of others(n)) {
        assert.ok(flow[o].frames > 0, `${n}: video frames of ${o} rising`);
        assert.ok(flow[o].width > 0, `${n}: video of ${o} has a size`);
        assert.ok(flow[o].audioPackets > 0, `${n}: audio packets of ${o} rising`);
        assert.ok(flow[o].audioEnergy > 0, `${n}: audio of ${o} has energy (totalAudioEnergy ${flow[o].audioEnergy})`);
      }
    }

    // Join to first frame: Carol joined last, so every other's video was
    // already flowing when she clicked.
    const m = await c.page.evaluate(() => window.__yh.metrics);
    const firsts = Object.values(m.firstRemoteFrameAt);
    assert.equal(firsts.length, 2, `Carol rendered first frames of 2 participants: ${JSON.stringify(m)}`);
    const joinToFirstFrame = Math.round(Math.max(...firsts) - m.joinClickedAt);

    // Server CPU over a 10 s steady window with 3 publishers and 6 subscriptions.
    const ticks0 = env.srv.cpuTicks();
    const t0 = process.hrtime.bigint();
    await sleep(10000);
    const ticks1 = env.srv.cpuTicks();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpuPct = ((ticks1 - ticks0) / CLK_TCK / secs) * 100;
    console.log(`metric: join_to_first_frame_ms=${joinToFirstFrame}, server_cpu_pct=${cpuPct.toFixed(1)}`);

    // Bob mutes his camera: the others stop decoding his video and show his placeholder.
    await b.page.click('#cam-button');
    assert.equal(await b.page.getAttribute('#cam-button', 'aria-pressed'), 'true');
    for (const p of [a, c]) {
      await waitForTileVideo(p, 'Bob', 'off');
      const ms = await waitForVideoStop(p, 'Bob');
      env.notes.push(`${p.label}: Bob's video stopped ${ms} ms after the check began`);
      // Bob's audio still flows.
      const flow = await sampleFlow(p, ['Bob'], 1000);
      assert.ok(flow.Bob.audioPackets > 0, `${p.label}: Bob's audio still flows while his camera is off`);
    }

    // Bob unmutes: video resumes (the server asks Bob for a key frame).
    await b.page.click('#cam-button');
    assert.equal(await b.page.getAttribute('#cam-button', 'aria-pressed'), 'false');
    for (const p of [a, c]) {
      await waitForTileVideo(p, 'Bob', 'on');
      await waitForFlow(p, ['Bob'], { timeout: 10000, audio: false });
    }

    // Carol leaves: her tile goes away on Alice's and Bob's pages.
    await c.page.click('#leave-button');
    await c.page.waitForFunction(() => window.__yh.state === 'left', null, { timeout: 5000 });
    await waitForTiles(a, ['Bob'], 5000);
    await waitForTiles(b, ['Alice'], 5000);
    // The two left still receive each other.
    await waitForFlow(a, ['Bob'], { timeout: 10000 });
    await waitForFlow(b, ['Alice'], { timeout: 10000 });
    assert.equal(await env.srv.healthz(), 200);
  });
});

// ---- scenario 2 -------------------------------------------------------------

/** Sends datagrams from a fresh socket and collects what comes back for `listenMs`. */
async function udpExchange(port, datagrams, listenMs = 500) {
  const sock = createSocket('udp4');
  const replies = [];
  sock.on('message', (msg) => replies.push(msg));
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  for (const d of datagrams) {
    await new Promise((r) => sock.send(d, port, '127.0.0.1', r));
  }
  await sleep(listenMs);
  sock.close();
  return replies;
}

function garbageDatagrams() {
  const out = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0xff])];
  // A first byte in each RFC 7983 demultiplexing range: STUN (0-3), DTLS
  // (20-63), RTP/RTCP (128-191), and the undefined rest.
  for (const first of [0, 1, 3, 4, 19, 20, 22, 63, 64, 127, 128, 191, 192, 255]) {
    for (const len of [1, 2, 12, 13, 20, 21, 100, 1200]) {
      const d = randomBytes(len);
      d[0] = first;
      out.push(d);
    }
  }
  // A STUN header announcing more attributes than the datagram holds.
  const lying = Buffer.alloc(24);
  lying.writeUInt16BE(0x0001, 0);
  lying.writeUInt16BE(0xfffc, 2);
  lying.writeUInt32BE(0x2112a442, 4);
  out.push(lying);
  // A DTLS ClientHello-looking record with a huge length.
  out.push(Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 0, 0, 0xff]));
  // Oversized datagram.
  out.push(randomBytes(9000));
  return out;
}

function rtpPacket(ssrc, seq, pt) {
  const p = Buffer.alloc(12 + 160);
  p[0] = 0x80;
  p[1] = pt & 0x7f;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE((seq * 960) >>> 0, 4);
  p.writeUInt32BE(ssrc >>> 0, 8);
  randomBytes(160).copy(p, 12);
  return p;
}

function sdpAttr(sdp, name) {
  const m = new RegExp(`^a=${name}:(.+)$`, 'm').exec(sdp ?? '');
  return m ? m[1].trim() : null;
}

/** A WebSocket client that records what it receives and how it closed. */
function wsClient(url) {
  const ws = new WebSocket(url);
  const got = [];
  const waiters = [];
  let closed = null;
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      msg = { type: '(not json)', raw: data.toString().slice(0, 200) };
    }
    got.push(msg);
    for (const w of [...waiters]) w();
  });
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  const until = (pred, timeout, what) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = pred();
        if (v) {
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`${what} not seen within ${timeout} ms; received ${JSON.stringify(got).slice(0, 500)}; closed ${JSON.stringify(closed)}`));
      }, timeout);
      waiters.push(check);
      check();
    });
  return {
    ws,
    got,
    get closed() {
      return closed;
    },
    open: () => new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    }),
    sendRaw: (s) => ws.send(s),
    send: (m) => ws.send(JSON.stringify(m)),
    message: (pred, timeout = 3000, what = 'message') => until(() => got.find(pred), timeout, what),
    close: (timeout = 3000) => until(() => closed, timeout, 'close'),
    end: () => ws.terminate(),
  };
}

test('bad input on media port and signaling does not disturb a meeting', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('bad-input', async (env) => {
    const meeting = meetingNumber();
    const a = await join(env, meeting, 'Alice');
    const b = await join(env, meeting, 'Bob');
    await waitForTiles(a, ['Bob']);
    await waitForTiles(b, ['Alice']);
    await waitForFlow(a, ['Bob']);
    await waitForFlow(b, ['Alice']);
    const port = env.srv.mediaPort;

    // 1. Garbage datagrams.
    const garbageReplies = await udpExchange(port, garbageDatagrams());
    env.notes.push(`garbage: ${garbageReplies.length} replies`);

    // 2. A Binding request with Alice's real ICE username but a wrong
    // MESSAGE-INTEGRITY key (RFC 5389 §10.1.2: reject, 401 or silence).
    const ice = await a.page.evaluate(() => ({
      local: window.__yh.client.pubPc.localDescription.sdp,
      remote: window.__yh.client.pubPc.remoteDescription.sdp,
    }));
    const serverUfrag = sdpAttr(ice.remote, 'ice-ufrag');
    const clientUfrag = sdpAttr(ice.local, 'ice-ufrag');
    assert.ok(serverUfrag && clientUfrag, 'ICE ufrags in the publisher SDPs');
    const badMi = stunBindingRequest({
      username: `${serverUfrag}:${clientUfrag}`,
      key: 'not-the-password',
      priority: 0x6e0001ff,
      controlling: true,
      useCandidate: true,
    });
    const noUser = stunBindingRequest({ username: `nobody:${clientUfrag}`, key: 'x', priority: 1, controlling: true });
    const badFp = stunBindingRequest({ username: `${serverUfrag}:${clientUfrag}`, key: 'x', badFingerprint: true });
    const truncated = badMi.subarray(0, badMi.length - 10);
    const stunReplies = await udpExchange(port, [badMi, noUser, badFp, truncated], 700);
    for (const r of stunReplies) {
      const h = parseStunHeader(r);
      assert.ok(!h || h.type !== BINDING_SUCCESS, `server answered a Binding request with a wrong MESSAGE-INTEGRITY with success: ${r.toString('hex')}`);
    }
    env.notes.push(`bad stun: replies ${stunReplies.map((r) => r.subarray(0, 4).toString('hex')).join(',') || 'none'}`);

    // 3. RTP claiming Alice's SSRCs from an unknown address.
    const out = await a.page.evaluate(() => window.__yh.outboundStats());
    const ssrcs = out.map((s) => s.ssrc).filter((s) => typeof s === 'number');
    assert.ok(ssrcs.length > 0, 'Alice sends streams');
    const rtp = [];
    for (let i = 0; i < 50; i++) for (const s of ssrcs) rtp.push(rtpPacket(s, 60000 + i, i % 2 ? 96 : 111));
    rtp.push(rtpPacket(0x12345678, 1, 96));
    // An RTCP-looking BYE for Alice's SSRC (PT 203).
    const bye = Buffer.alloc(8);
    bye[0] = 0x81;
    bye[1] = 203;
    bye.writeUInt16BE(1, 2);
    bye.writeUInt32BE(ssrcs[0] >>> 0, 4);
    rtp.push(bye);
    await udpExchange(port, rtp, 200);

    // 4. Malformed JSON: error, then close 1008.
    const w1 = wsClient(env.srv.wsUrl);
    await w1.open();
    w1.sendRaw('{"type":"join", "meeting": ');
    await w1.message((m) => m.type === 'error', 3000, 'error after malformed JSON');
    const c1 = await w1.close();
    assert.equal(c1.code, 1008, `close code after malformed JSON: ${JSON.stringify(c1)}`);

    // 5. Unknown type: error bad-request, connection stays open.
    const w2 = wsClient(env.srv.wsUrl);
    await w2.open();
    w2.send({ type: 'frobnicate', id: 7 });
    const e2 = await w2.message((m) => m.type === 'error', 3000, 'error for unknown type');
    assert.equal(e2.code, 'bad-request');
    assert.equal(e2.id, 7, 'the error carries the request id');
    await sleep(300);
    assert.equal(w2.closed, null, 'connection still open after an unknown type');
    assert.equal(w2.ws.readyState, WebSocket.OPEN);
    w2.end();

    // 6. A 70 KiB frame: close 1009.
    const w3 = wsClient(env.srv.wsUrl);
    await w3.open();
    w3.send({ type: 'chat', id: 1, text: 'x'.repeat(70 * 1024) });
    const c3 = await w3.close(5000);
    assert.equal(c3.code, 1009, `close code after a 70 KiB frame: ${JSON.stringify(c3)}`);

    // 7. Join the meeting, then publish broken SDPs: each gets an error.
    const w4 = wsClient(env.srv.wsUrl);
    await w4.open();
    w4.send({ type: 'join', id: 1, meeting, name: 'Mallory', client: { kind: 'load', version: 'e2e' } });
    await w4.message((m) => m.id === 1 && m.type === 'joined', 5000, 'joined for Mallory');
    const broken = [
      'v=0\r\ngarbage',
      '',
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\n',
      `v=0\r\n${'m=video 9 UDP/TLS/RTP/SAVPF 96\r\n'.repeat(300)}`,
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=fingerprint:sha-256 ZZ\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\na=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\na=ssrc:-1 cname:x\r\n',
    ];
    let id = 10;
    for (const sdp of broken) {
      const myId = id++;
      w4.send({ type: 'publish', id: myId, sdp, tracks: [{ mid: '0', source: 'microphone' }] });
      const r = await w4.message((m) => m.id === myId, 5000, `reply to broken publish ${myId}`);
      assert.equal(r.type, 'error', `publish with broken SDP ${JSON.stringify(sdp.slice(0, 60))} answered ${JSON.stringify(r).slice(0, 200)}`);
      await sleep(50); // stay well under 50 messages per second
    }
    for (const bad of [{ type: 'publish', id: id++ }, { type: 'publish', id: id++, sdp: 42, tracks: 'x' }]) {
      w4.send(bad);
      const r = await w4.message((m) => m.id === bad.id, 5000, `reply to ${JSON.stringify(bad)}`);
      assert.equal(r.type, 'error');
    }
    // Leave explicitly: a dropped connection would keep Mallory for 20 s.
    w4.send({ type: 'leave', id: id++ });
    await w4.message((m) => m.type === 'ok' && m.id === id - 1, 3000, 'ok for leave').catch((e) => env.notes.push(e.message));
    w4.end();

    // The meeting goes on and the server is healthy.
    await sleep(500);
    assert.ok(env.srv.alive(), 'server still running');
    assert.equal(await env.srv.healthz(), 200, '/healthz after bad input');
    await waitForTiles(a, ['Bob'], 5000); // Mallory left
    await waitForFlow(a, ['Bob'], { timeout: 10000 });
    await waitForFlow(b, ['Alice'], { timeout: 10000 });
  });
});
