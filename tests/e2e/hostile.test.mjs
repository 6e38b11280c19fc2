// Hostile clients against a meeting in progress: every attack runs while a
// receiving terminal measures a victim's video (frames decoded, loss,
// dropped frames, freezes), and the victim's media must go on as before.
// Printed as `metric:` lines: what the receiver counted during each attack.
//
//   RTP with another participant's SSRC, a replayed ICE check, garbage and
//   DTLS junk from unknown 5-tuples, a DTLS fingerprint that does not match
//   the SDP, hundreds of m-lines or tracks, a signaling flood from one
//   connection and from many connections of one address, a client that
//   stops reading its WebSocket, a removed participant, and a second
//   meeting that must never see the first one's events or media.
//
// Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/hostile.test.mjs

import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';

import { ProtocolClient } from './lib/client.mjs';
import { startServer } from './lib/server.mjs';
import { BINDING_SUCCESS, parseStunHeader, stunBindingRequest } from './lib/stun.mjs';
import { describeTerm, runTerm, startTerm, streamOf } from './lib/term.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const meetingNumber = () => String(randomInt(100000000, 999999999));
const SMALL = ['--width', '320', '--height', '240', '--fps', '30', '--video-kbps', '300'];
const VICTIM_SSRC = '1111';
// Per-address limits low enough to reach in a test; nothing is trusted, so
// the terminals on 127.0.0.1 count as one client address too.
const MAX_WS_PER_IP = 12;
const MAX_MSGS_PER_IP = 150;
const T = { timeout: 60000 };
const MAX_GAP_MS = 700;

let srv;
let meetingA;
let meetingB;
let host; // the first in meeting A: its host
let victim; // publishes video with SSRC VICTIM_SSRC
let receiver; // receives everything in meeting A
let bTerm; // receives in meeting B
let bWatcher; // signaling only, in meeting B
let victimId;

function common(meeting) {
  return ['--server', srv.wsUrl, '--meeting', meeting, '--json', '--quiet'];
}

/** The receiver's current figures of participant `pid`'s video. */
function seen(pid) {
  return streamOf(receiver.latest(), pid, 'video') ?? null;
}

async function waitFor(what, pred, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * Runs `attack` while the receiver watches the victim for at least `ms`;
 * the victim's video must keep coming at its pace, undamaged.
 */
async function victimKeepsFlowing(label, attack, ms = 3000) {
  await sleep(1100); // a fresh stats line before
  const a = seen(victimId);
  const t0 = Date.now();
  const result = await attack();
  const left = ms - (Date.now() - t0);
  if (left > 0) await sleep(left);
  await sleep(1100);
  const b = seen(victimId);
  const secs = (Date.now() - t0) / 1000;
  const d = {
    frames: b.frames_decoded - a.frames_decoded,
    lost: b.lost - a.lost,
    dropped: b.frames_dropped - a.frames_dropped,
    freezes: b.freezes - a.freezes,
  };
  // The longest wait for a frame since the start: a stream that was
  // diverted or corrupted stops for seconds; a busy machine (the floods
  // themselves take CPU) costs a few hundred milliseconds at most.
  const gap = b.max_frame_gap_ms;
  console.log(`metric: ${label}_victim_frames=${d.frames}, ${label}_seconds=${secs.toFixed(1)}, ` +
    `${label}_lost=${d.lost}, ${label}_dropped=${d.dropped}, ${label}_freezes=${d.freezes}, ` +
    `victim_max_frame_gap_ms=${gap}`);
  // 30 fps: at least half of it even on a busy machine.
  assert.ok(d.frames >= 15 * (secs - 1), `${label}: the victim's video slowed down: ${JSON.stringify(d)}`);
  assert.ok(d.lost <= 5 && d.dropped <= 2, `${label}: ${JSON.stringify({ d, a, b })}`);
  assert.ok(gap <= MAX_GAP_MS, `${label}: the victim's video stopped for ${gap} ms: ${JSON.stringify(b)}`);
  assert.equal(b.width, 320, `${label}: the victim's picture changed: ${JSON.stringify(b)}`);
  assert.equal(b.current, true);
  return result;
}

async function joinClient(meeting, name, opts = {}) {
  const c = new ProtocolClient(srv.wsUrl, opts);
  await c.opened();
  const j = await c.request({ type: 'join', meeting, name });
  assert.equal(j.type, 'joined', JSON.stringify(j));
  c.id = j.self.id;
  return c;
}

before(async () => {
  srv = await startServer({
    args: ['--trusted-ip', 'none', '--max-ws-per-ip', String(MAX_WS_PER_IP),
      '--max-msgs-per-ip', String(MAX_MSGS_PER_IP)],
  });
  meetingA = meetingNumber();
  meetingB = meetingNumber();
  host = await joinClient(meetingA, 'Host');
  victim = startTerm([...common(meetingA), '--name', 'Victim', '--duration', '300', '--test-ssrc', VICTIM_SSRC, ...SMALL],
    { timeoutMs: 310000 });
  receiver = startTerm([...common(meetingA), '--name', 'Receiver', '--recv-only', '--duration', '300'],
    { timeoutMs: 310000 });
  bTerm = startTerm([...common(meetingB), '--name', 'B-term', '--recv-only', '--duration', '300'],
    { timeoutMs: 310000 });
  bWatcher = await joinClient(meetingB, 'B-watcher');
  victimId = await waitFor('the victim to join', () => victim.latest()?.self);
  await waitFor('the receiver to decode the victim', () => seen(victimId)?.frames_decoded > 30);
});

after(async () => {
  for (const t of [victim, receiver, bTerm]) t?.kill();
  await Promise.all([victim, receiver, bTerm].map((t) => t?.done));
  host?.close();
  bWatcher?.close();
  if (srv) {
    if (process.exitCode) console.error(`---- server log tail:\n${srv.logTail(60)}`);
    await srv.stop();
  }
});

test('RTP with another participant\'s SSRC does not hijack or corrupt its stream', T, async () => {
  // Same SSRC, another resolution: mixed into the victim's stream it
  // would change its picture size and break its frames.
  let hijackerId = null;
  await victimKeepsFlowing('ssrc_hijack', async () => {
    const h = startTerm([...common(meetingA), '--name', 'Hijacker', '--duration', '6', '--test-ssrc', VICTIM_SSRC,
      '--width', '640', '--height', '480', '--fps', '30']);
    hijackerId = await waitFor('the hijacker to join', () => h.latest()?.self);
    await waitFor('the receiver to decode the hijacker', () => seen(hijackerId)?.frames_decoded > 30);
    const r = await h.done;
    assert.equal(r.code, 0, describeTerm(r));
  }, 4000);
  // Its own stream went to the receiver as another participant's.
  const own = seen(hijackerId);
  assert.equal(own.width, 640, JSON.stringify(own));
});

test('a replayed ICE check does not steal a participant\'s media path', T, async () => {
  // The replayer replays its own nominating check from another port at 5 s,
  // as an attacker who captured it would; the receiver watches its video.
  const rp = startTerm([...common(meetingA), '--name', 'Replayer', '--duration', '11', '--test-replay-check', '5', ...SMALL]);
  const id = await waitFor('the replayer to join', () => rp.latest()?.self);
  await waitFor('the receiver to decode the replayer', () => seen(id)?.frames_decoded > 30 && rp.latest()?.duration_s > 4);
  const before = seen(id);
  await waitFor('the replay', () => rp.latest()?.test?.replay_check);
  assert.equal(rp.latest().test.replay_check.result, 'ok');
  await sleep(3000);
  const afterwards = seen(id);
  const frames = afterwards.frames_decoded - before.frames_decoded;
  console.log(`metric: replayed_check_frames_after=${frames}, replayed_check_lost=${afterwards.lost - before.lost}`);
  assert.ok(frames > 60, `the replay diverted the media: ${JSON.stringify({ before, afterwards })}`);
  const r = await rp.done;
  assert.equal(r.code, 0, describeTerm(r));
});

test('garbage, DTLS junk and SRTP with the victim\'s SSRC from unknown 5-tuples are dropped', T, async () => {
  const sock = createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const send = (buf) => new Promise((r) => sock.send(buf, srv.mediaPort, '127.0.0.1', r));
  await victimKeepsFlowing('garbage', async () => {
    for (let i = 0; i < 600; i++) {
      const b = randomBytes(40 + (i % 300));
      if (i % 3 === 0) b[0] = 20 + (i % 44); // DTLS range (RFC 7983)
      if (i % 3 === 1) {
        b[0] = 0x80; // RTP v2 with the victim's SSRC
        b[1] = 96;
        b.writeUInt32BE(Number(VICTIM_SSRC), 8);
      }
      if (i % 3 === 2) b[0] = 0x16; // a DTLS handshake record header
      await send(b);
      if (i % 50 === 49) await sleep(50);
    }
  });
  sock.close();
  assert.ok(srv.alive());
  // Dropped without a line per packet, but counted once a second.
  await sleep(1200);
  assert.match(srv.log(), /dropped in the last second: [1-9]\d* datagrams from unknown addresses/);
});

test('a DTLS fingerprint that does not match the SDP: the connection is refused', T, async () => {
  const r = await victimKeepsFlowing('bad_fingerprint', () =>
    runTerm([...common(meetingA), '--name', 'Liar', '--duration', '15', '--test-bad-fingerprint', ...SMALL]));
  assert.equal(r.code, 5, describeTerm(r));
  assert.match(r.stderr, /media|DTLS/);
  assert.match(srv.log(), /fingerprint mismatch/);
});

/** An offer with `n` audio m-sections, all sendonly. */
function hugeOffer(n) {
  const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
    'a=setup:actpass'];
  for (let i = 0; i < n; i++) {
    lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=mid:${i}`, 'a=sendonly', 'a=rtcp-mux',
      'a=rtpmap:111 opus/48000/2');
  }
  return `${lines.join('\r\n')}\r\n`;
}

test('an offer with hundreds of m-lines or tracks is refused with an error', T, async () => {
  const c = await joinClient(meetingA, 'Mlines');
  await victimKeepsFlowing('huge_offer', async () => {
    const sdp = hugeOffer(300);
    const r1 = await c.request({ type: 'publish', sdp });
    assert.equal(r1.type, 'error');
    assert.equal(r1.code, 'bad-request');
    const tracks = Array.from({ length: 300 }, (_, i) => ({ mid: String(i), source: 'microphone' }));
    const r2 = await c.request({ type: 'publish', sdp: hugeOffer(2), tracks });
    assert.equal(r2.type, 'error');
    assert.equal(r2.code, 'bad-request');
    console.log(`note: 300 m-lines: ${r1.message}; 300 tracks: ${r2.message}`);
    // The connection stays usable.
    assert.equal((await c.request({ type: 'hand', raised: false })).type, 'ok');
  });
  await host.quiet((m) => m.type === 'track-published' && m.track?.participant === c.id, 200);
  c.close();
});

test('a signaling flood from one connection is cut off; others go on', T, async () => {
  const f = await joinClient(meetingA, 'Flooder');
  await victimKeepsFlowing('flood_one', async () => {
    for (let i = 0; i < 150; i++) f.send({ type: 'candidate', id: i + 100, candidate: '' });
    const err = await f.waitFor((m) => m.type === 'error' && m.code === 'rate-limited', 'rate-limited');
    assert.match(err.message, /messages per second/);
    assert.equal((await f.waitClose()).code, 1008);
    // Someone else joins and talks meanwhile.
    const other = await joinClient(meetingA, 'Bystander');
    assert.equal((await other.request({ type: 'hand', raised: false })).type, 'ok');
    other.close();
  });
});

test('many connections from one address: capped (1013) and rate limited together (1008)', T, async () => {
  const from = { localAddress: '127.0.0.77' };
  const conns = [];
  await victimKeepsFlowing('flood_address', async () => {
    for (let i = 0; i < MAX_WS_PER_IP + 2; i++) {
      const c = new ProtocolClient(srv.wsUrl, from);
      await c.opened();
      conns.push(c);
    }
    // The two over the cap are told why and closed with 1013.
    for (const c of conns.slice(MAX_WS_PER_IP)) {
      const e = await c.waitFor((m) => m.type === 'error', 'too-many-connections');
      assert.equal(e.code, 'too-many-connections');
      assert.equal((await c.waitClose()).code, 1013);
    }
    // Each of the others stays under its own 50/s, all together over 150/s.
    const ok = conns.slice(0, MAX_WS_PER_IP);
    for (const c of ok) for (let i = 0; i < 20; i++) c.send({ type: 'candidate', id: i + 1 });
    await sleep(500);
    const limited = ok.filter((c) => c.inbox.some((m) => m.code === 'rate-limited' && /from this address/.test(m.message)));
    assert.ok(limited.length >= 1, 'no connection was rate limited');
    for (const c of limited) assert.equal((await c.waitClose()).code, 1008);
    console.log(`note: ${limited.length} of ${MAX_WS_PER_IP} connections from one address closed for its rate`);
    // Another address is not affected, nor is 127.0.0.1.
    const elsewhere = await joinClient(meetingA, 'Elsewhere', { localAddress: '127.0.0.78' });
    const local = await joinClient(meetingA, 'Local');
    elsewhere.close();
    local.close();
  });
  for (const c of conns) c.close();
});

test('a client that stops reading is disconnected once its send queue is full', { timeout: 90000 }, async () => {
  const meetingC = meetingNumber();
  const stuck = await joinClient(meetingC, 'Stuck', { localAddress: '127.0.0.90' });
  stuck.ws._socket.pause(); // reads nothing from now on
  const chatters = [];
  for (let i = 1; i <= 24; i++) chatters.push(await joinClient(meetingC, `Chatter${i}`, { localAddress: `127.0.3.${i}` }));
  const text = 'x'.repeat(4000);
  let sent = 0;
  await victimKeepsFlowing('slow_reader', async () => {
    // Private chats to the stuck host: 24 x 40/s x 4 KB until the server
    // gives up on it (kernel buffers first, then its 8 MiB queue).
    const deadline = Date.now() + 40000;
    while (!/send queue over \d+ bytes, dropping/.test(srv.log()) && Date.now() < deadline) {
      for (const c of chatters) c.send({ type: 'chat', text, to: stuck.id });
      sent += chatters.length;
      await sleep(25);
      for (const c of chatters) c.drain();
    }
  }, 3000);
  assert.match(srv.log(), /send queue over \d+ bytes, dropping/, `sent ${sent} chats`);
  console.log(`metric: slow_reader_chats_until_dropped=${sent}`);
  // Reading again, it finds its connection gone.
  stuck.ws._socket.resume();
  await stuck.waitClose(10000);
  for (const c of chatters) c.close();
});

/** Whether the server answers an authenticated check on `sock` within 1 s. */
async function stunAnswered(sock, username, key) {
  const req = stunBindingRequest({ username, key, priority: 0x6e7f1eff, controlling: true, useCandidate: true });
  const got = new Promise((resolve) => {
    const timer = setTimeout(() => { sock.off('message', on); resolve(false); }, 1000);
    const on = (msg) => {
      const h = parseStunHeader(msg);
      if (h && h.type === BINDING_SUCCESS && h.transactionId.equals(req.subarray(8, 20))) {
        clearTimeout(timer);
        sock.off('message', on);
        resolve(true);
      }
    };
    sock.on('message', on);
  });
  sock.send(req, srv.mediaPort, '127.0.0.1');
  return got;
}

test('a removed participant\'s transports are closed at once and its media stops', T, async () => {
  // A signaling client whose ICE credentials we know: its checks are
  // answered until it is removed, and not after.
  const target = await joinClient(meetingA, 'RemovedClient');
  const ans = await target.request({ type: 'publish', sdp: hugeOffer(1) });
  assert.equal(ans.type, 'answer', JSON.stringify(ans));
  const ufrag = /a=ice-ufrag:(\S+)/.exec(ans.sdp)[1];
  const pwd = /a=ice-pwd:(\S+)/.exec(ans.sdp)[1];
  const sock = createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  assert.equal(await stunAnswered(sock, `${ufrag}:abcd`, pwd), true, 'the check before removal went unanswered');
  // And a terminal whose media the receiver sees.
  const term = startTerm([...common(meetingA), '--name', 'RemovedTerm', '--duration', '40', ...SMALL]);
  const termId = await waitFor('the terminal to join', () => term.latest()?.self);
  await waitFor('the receiver to decode the terminal', () => seen(termId)?.frames_decoded > 30);

  await victimKeepsFlowing('removal', async () => {
    for (const id of [target.id, termId]) {
      const r = await host.request({ type: 'moderate', action: 'remove', participant: id });
      assert.equal(r.type, 'ok', JSON.stringify(r));
    }
    // Right after the ok, the removed client's checks find nothing.
    assert.equal(await stunAnswered(sock, `${ufrag}:abcd`, pwd), false, 'a removed transport still answers');
    assert.equal((await target.event('removed')).type, 'removed');
    assert.equal((await target.waitClose()).code, 1000);
  });
  sock.close();
  const a = seen(termId);
  await sleep(2000);
  const b = seen(termId);
  console.log(`metric: removed_stun_answered=0, removed_packets_later=${b.packets - a.packets}`);
  assert.equal(b.packets, a.packets, `media still forwarded after removal: ${JSON.stringify({ a, b })}`);
  await term.done;
});

test('another meeting never sees this meeting\'s events or media', T, async () => {
  const b = bTerm.latest();
  assert.deepEqual(b.streams, [], JSON.stringify(b.streams));
  const foreign = bWatcher.inbox.filter((m) =>
    ['track-published', 'track-unpublished', 'chat', 'offer', 'active-speaker', 'participant-left'].includes(m.type) ||
    (m.type === 'participant-joined' && m.participant?.name !== 'B-term') ||
    (m.type === 'participant-updated' && m.participant?.name !== 'B-term'));
  assert.deepEqual(foreign, []);
  // Meeting A did happen meanwhile.
  assert.ok(host.inbox.some((m) => m.type === 'participant-joined'));
});
