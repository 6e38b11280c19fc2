// The signaling protocol (docs/protocol.md) against the real server binary,
// spoken over plain WebSockets with the `ws` package: joining, events,
// publishing real Chrome and Firefox offers, the subscriber offer/answer,
// mute, chat, leave, and bad input. Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/
// The binary is $YUNHUI_BIN or build/yunhui (see lib/server.mjs).

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ProtocolClient as Client, WAIT_MS } from './lib/client.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const VECTORS = join(REPO_ROOT, 'tests', 'vectors', 'sdp');
const vector = (name) => readFileSync(join(VECTORS, name), 'utf8');
const meetingNumber = () => String(randomInt(100000000, 999999999));
const FP = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

// A browser-like answer to a subscriber offer: for each m-section the first
// codec, recvonly (inactive where the offer says inactive), rtcp-mux, the
// client as DTLS client (setup:active), as chrome-answer-recv.sdp does.
function answerFor(offer) {
  const sections = offer.split('\r\nm=').slice(1).map((s) => `m=${s}`);
  const mids = [];
  const media = sections.map((sec) => {
    const lines = sec.split('\r\n');
    const [kind, , , pt] = lines[0].slice(2).split(' ');
    const mid = lines.find((l) => l.startsWith('a=mid:')).slice(6);
    const rtpmap = lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
    const dir = lines.includes('a=inactive') ? 'inactive' : 'recvonly';
    mids.push(mid);
    return [
      `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`, 'c=IN IP4 0.0.0.0',
      'a=ice-ufrag:e2eX', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
      `a=fingerprint:sha-256 ${FP}`, 'a=setup:active', `a=mid:${mid}`,
      `a=${dir}`, 'a=rtcp-mux', rtpmap,
    ].join('\r\n');
  });
  return ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    `a=group:BUNDLE ${mids.join(' ')}`, 'a=msid-semantic: WMS', ...media, ''].join('\r\n');
}

// ---- the tests ----------------------------------------------------------------

describe('signaling protocol', { timeout: 60000 }, () => {
  let srv;
  const clients = [];

  async function connect() {
    const c = new Client(srv.wsUrl);
    clients.push(c);
    await c.opened();
    return c;
  }

  async function joined(meeting, name) {
    const c = await connect();
    const reply = await c.request({ type: 'join', meeting, name, client: { kind: 'load', version: 'e2e' } });
    assert.equal(reply.type, 'joined', JSON.stringify(reply));
    c.self = reply.self;
    c.joined = reply;
    return c;
  }

  before(async () => {
    srv = await startServer();
  });

  after(async () => {
    for (const c of clients) c.close();
    if (srv) {
      const log = srv.logTail(40);
      const info = await srv.stop();
      assert.ok(info.signal === 'SIGTERM' || info.code === 0 || info.code === null,
        `server exit ${JSON.stringify(info)}\n${log}`);
    }
  });

  test('join replies joined with the documented fields; others get participant-joined', async () => {
    const meeting = meetingNumber();
    const a = await connect();
    const r = await a.request({ type: 'join', meeting, name: '  Alice  ' });
    assert.equal(r.type, 'joined');
    assert.equal(r.id, 1);
    assert.match(r.self.id, /^p\d+$/);
    assert.equal(r.self.name, 'Alice');
    assert.equal(r.self.role, 'host');
    assert.equal(r.self.hand, false);
    assert.equal(r.self.audioMuted, true);
    assert.equal(r.self.videoMuted, true);
    assert.ok(!Number.isNaN(Date.parse(r.self.joinedAt)), r.self.joinedAt);
    assert.deepEqual(r.meeting, {
      number: meeting, title: `Meeting ${meeting}`, locked: false, waitingRoom: false,
      publish: 'everyone', muteOnEntry: false, spotlight: null, rollCall: null,
      participantCount: 1, hands: [], // the hand queue: hosts only
    });
    assert.deepEqual(r.waiting, []); // the waiting room: hosts only
    assert.deepEqual(r.participants.map((p) => p.id), [r.self.id]);
    assert.deepEqual(r.tracks, []);
    assert.deepEqual(r.iceServers, []);
    assert.match(r.resumeToken, /^.{24}$/);

    const b = await connect();
    b.send({ type: 'join', id: 'str-id', meeting });
    const rb = await b.waitFor((m) => m.id === 'str-id', 'joined');
    assert.equal(rb.type, 'joined');
    assert.equal(rb.self.role, 'attendee');
    assert.equal(rb.self.name, 'Guest');
    assert.equal(rb.participants.length, 2);
    const ev = await a.event('participant-joined');
    assert.equal(ev.participant.id, rb.self.id);
    assert.equal(ev.participant.role, 'attendee');
  });

  test('publish (Chrome) is answered ice-lite; the other side gets tracks and an offer', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'Pub');
    const b = await joined(meeting, 'Sub');
    await a.event('participant-joined');

    const ans = await a.request({
      type: 'publish', sdp: vector('chrome-publish-offer.sdp'),
      tracks: [{ mid: '0', source: 'microphone' }, { mid: '1', source: 'camera' }],
    });
    assert.equal(ans.type, 'answer', JSON.stringify(ans));
    assert.match(ans.sdp, /\r\na=ice-lite\r\n/);
    assert.match(ans.sdp, new RegExp(`a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 ${srv.mediaPort} typ host`));
    assert.match(ans.sdp, /a=setup:passive/);
    assert.match(ans.sdp, /a=mid:0[\s\S]*a=recvonly[\s\S]*a=mid:1/);

    const t0 = (await b.event('track-published')).track;
    const t1 = (await b.event('track-published')).track;
    assert.deepEqual([t0.kind, t0.source, t0.participant, t0.muted], ['audio', 'microphone', a.self.id, false]);
    assert.deepEqual([t1.kind, t1.source], ['video', 'camera']);
    assert.deepEqual(t1.layers, []);

    const offer = await b.event('offer');
    assert.deepEqual(offer.tracks, [{ mid: '0', track: t0.id }, { mid: '1', track: t1.id }]);
    assert.match(offer.sdp, /a=ice-lite/);
    assert.match(offer.sdp, /a=setup:actpass/);
    assert.match(offer.sdp, new RegExp(`a=msid:${a.self.id} ${t1.id}`));
    assert.match(offer.sdp, /a=sendonly/);

    const ok = await b.request({ type: 'answer', sdp: answerFor(offer.sdp) });
    assert.equal(ok.type, 'ok', JSON.stringify(ok));
    // A second answer has nothing to answer.
    const again = await b.request({ type: 'answer', sdp: answerFor(offer.sdp) });
    assert.equal(again.type, 'error');
    assert.equal(again.code, 'bad-request');

    // Receiving preferences: accepted for a subscribed track, refused for
    // a track this client does not receive.
    const pref = await b.request({ type: 'subscription', track: t1.id, quality: 'low', width: 160, height: 120 });
    assert.equal(pref.type, 'ok', JSON.stringify(pref));
    const off = await b.request({ type: 'subscription', track: t1.id, quality: 'off' });
    assert.equal(off.type, 'ok', JSON.stringify(off));
    const fps = await b.request({ type: 'subscription', track: t1.id, fps: 15 });
    assert.equal(fps.type, 'ok', JSON.stringify(fps));
    for (const bad of [0, 121, 7.5, '15']) {
      const r = await b.request({ type: 'subscription', track: t1.id, fps: bad });
      assert.equal(r.code, 'bad-request', `fps ${JSON.stringify(bad)}: ${JSON.stringify(r)}`);
    }
    const unknown = await b.request({ type: 'subscription', track: 't999999', quality: 'high' });
    assert.equal(unknown.type, 'error');
    assert.equal(unknown.code, 'not-found');

    // A late joiner learns the tracks in joined, then gets an offer.
    const c = await joined(meeting, 'Late');
    assert.deepEqual(c.joined.tracks.map((t) => t.id).sort(), [t0.id, t1.id].sort());
    assert.equal((await c.event('offer')).tracks.length, 2);

    // Mute: everyone sees the track and the participant change.
    const mr = await a.request({ type: 'mute', source: 'camera', muted: true });
    assert.equal(mr.type, 'ok');
    const tu = await b.event('track-updated');
    assert.equal(tu.track.id, t1.id);
    assert.equal(tu.track.muted, true);
    const pu = await b.event('participant-updated', (m) => m.participant.videoMuted === true);
    assert.equal(pu.participant.id, a.self.id);
    assert.equal(pu.participant.audioMuted, false);
    await a.request({ type: 'mute', source: 'camera', muted: false });
    await b.event('track-updated', (m) => m.track.muted === false);

    // Leave: the tracks go, then the participant.
    const lr = await a.request({ type: 'leave' });
    assert.equal(lr.type, 'ok');
    const gone = [(await b.event('track-unpublished')).id, (await b.event('track-unpublished')).id];
    assert.deepEqual(gone.sort(), [t0.id, t1.id].sort());
    const left = await b.event('participant-left');
    assert.deepEqual(left, { type: 'participant-left', id: a.self.id, reason: 'left' });
    // B's next offer shows both slots inactive.
    const off2 = await b.event('offer');
    assert.deepEqual(off2.tracks, []);
    assert.equal(off2.sdp.match(/a=inactive/g).length, 2);
  });

  test('publish (Firefox) is answered; unpublish stops one track', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'Fox');
    const b = await joined(meeting, 'Watcher');
    const ans = await a.request({ type: 'publish', sdp: vector('firefox-publish-offer.sdp'), tracks: [] });
    assert.equal(ans.type, 'answer', JSON.stringify(ans));
    assert.match(ans.sdp, /a=ice-lite/);
    assert.match(ans.sdp, /a=candidate:/);
    const t0 = (await b.event('track-published')).track;
    const t1 = (await b.event('track-published')).track;
    assert.equal(t1.kind, 'video');
    await b.event('offer');
    const ur = await a.request({ type: 'unpublish', mid: '1' });
    assert.equal(ur.type, 'ok');
    assert.equal((await b.event('track-unpublished')).id, t1.id);
    const bad = await a.request({ type: 'unpublish', mid: '7' });
    assert.equal(bad.code, 'bad-request');
    assert.ok(t0.id);
  });

  test('chat goes to everyone, or to the addressee and the sender', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'A');
    const b = await joined(meeting, 'B');
    const c = await joined(meeting, 'C');
    assert.equal((await a.request({ type: 'chat', text: 'hello 云会' })).type, 'ok');
    for (const x of [a, b, c]) {
      const m = await x.event('chat');
      assert.equal(m.from, a.self.id);
      assert.equal(m.to, null);
      assert.equal(m.text, 'hello 云会');
      assert.ok(!Number.isNaN(Date.parse(m.at)));
    }
    assert.equal((await a.request({ type: 'chat', text: 'psst', to: b.self.id })).type, 'ok');
    assert.equal((await b.event('chat')).to, b.self.id);
    assert.equal((await a.event('chat')).text, 'psst');
    await c.quiet((m) => m.type === 'chat');
    const big = await a.request({ type: 'chat', text: 'x'.repeat(4097) });
    assert.equal(big.code, 'bad-request');
    const hand = await b.request({ type: 'hand', raised: true });
    assert.equal(hand.type, 'ok');
    assert.equal((await a.event('participant-updated')).participant.hand, true);
  });

  test('bad input: unknown type keeps the connection, join first, bad fields', async () => {
    const c = await connect();
    const e1 = await c.request({ type: 'teleport' });
    assert.deepEqual(e1, { type: 'error', id: e1.id, code: 'bad-request', message: "unknown message type 'teleport'" });
    const e2 = await c.request({ type: 'mute', source: 'camera', muted: true });
    assert.equal(e2.code, 'bad-request');
    assert.equal(e2.message, 'join first');
    const e3 = await c.request({ type: 'join', meeting: 'no spaces' });
    assert.equal(e3.code, 'bad-request');
    assert.match(e3.message, /meeting/);
    const e4 = await c.request({ type: 'join', meeting: 42 });
    assert.match(e4.message, /'meeting'/);
    // Still open: a good join works.
    const r = await c.request({ type: 'join', meeting: meetingNumber(), name: 'Late' });
    assert.equal(r.type, 'joined');
    const e5 = await c.request({ type: 'publish', sdp: 'this is not SDP' });
    assert.equal(e5.type, 'error');
    assert.equal(e5.code, 'bad-request');
    const e6 = await c.request({ type: 'publish' });
    assert.match(e6.message, /'sdp'/);
    assert.equal(c.closed, null);
  });

  test('malformed JSON: error, then close 1008', async () => {
    const c = await connect();
    c.send('{"type": "join", ');
    const e = await c.waitFor((m) => m.type === 'error', 'error');
    assert.equal(e.code, 'bad-request');
    const { code } = await c.waitClose();
    assert.equal(code, 1008);
  });

  test('a frame over 64 KiB: error, then close 1009', async () => {
    const c = await connect();
    c.send(JSON.stringify({ type: 'chat', text: 'x'.repeat(70 * 1024) }));
    const e = await c.waitFor((m) => m.type === 'error', 'error');
    assert.ok(e.code);
    const { code } = await c.waitClose();
    assert.equal(code, 1009);
  });

  test('a lost connection keeps the participant for resume', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'Flaky');
    const b = await joined(meeting, 'Steady');
    a.close();
    await b.quiet((m) => m.type === 'participant-left', 500);
    const a2 = await connect();
    const r = await a2.request({ type: 'resume', resumeToken: a.joined.resumeToken });
    assert.equal(r.type, 'joined', JSON.stringify(r));
    assert.equal(r.self.id, a.self.id);
    const other = await connect();
    const bad = await other.request({ type: 'resume', resumeToken: 'x'.repeat(24) });
    assert.equal(bad.type, 'error');
    assert.equal(bad.code, 'not-found');
  });
});
