// Meeting control (docs/protocol.md "Moderation") against the real server
// binary over plain WebSockets: every moderate action and every refusal,
// the waiting room, lock, end, roles and host transfer, spotlight, the
// press-interview floor with publish policy "speakers", roll call, chat
// permissions, screen share, and stored meetings (passcode, signed
// tokens, ended). Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/control.test.mjs
// The binary is $YUNHUI_BIN or build/yunhui (see lib/server.mjs).

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ProtocolClient, WAIT_MS } from './lib/client.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const ADMIN_KEY = 'e2e-control-admin-key-0123456789';
const VECTORS = join(REPO_ROOT, 'tests', 'vectors', 'sdp');
const vector = (name) => readFileSync(join(VECTORS, name), 'utf8');
const meetingNumber = () => String(randomInt(100000000, 999999999));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- a protocol client with moderation helpers ------------------------------

class Client extends ProtocolClient {
  /** moderate; resolves with the reply (ok or error). */
  moderate(action, fields = {}) {
    return this.request({ type: 'moderate', action, ...fields });
  }

  async ok(action, fields = {}) {
    const r = await this.moderate(action, fields);
    assert.equal(r.type, 'ok', `${action}: ${JSON.stringify(r)}`);
  }
}

// ---- the tests ------------------------------------------------------------------

describe('meeting control', { timeout: 120000 }, () => {
  let srv;
  const clients = [];

  async function connect() {
    const c = new Client(srv.wsUrl);
    clients.push(c);
    await c.opened();
    return c;
  }

  async function joined(meeting, name, extra = {}) {
    const c = await connect();
    const r = await c.request({ type: 'join', meeting, name, client: { kind: 'load', version: 'e2e' }, ...extra });
    assert.equal(r.type, 'joined', JSON.stringify(r));
    c.self = r.self;
    c.id = r.self.id;
    c.joined = r;
    return c;
  }

  async function publish(c, sdp = 'chrome-publish-offer.sdp', tracks = []) {
    return c.request({ type: 'publish', sdp: vector(sdp), tracks });
  }

  async function createMeeting(body) {
    const res = await fetch(`${srv.baseUrl}/api/meetings`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    return JSON.parse(text);
  }

  before(async () => {
    srv = await startServer({ env: { YUNHUI_ADMIN_KEY: ADMIN_KEY } });
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

  test('an attendee gets forbidden for every moderate action; a cohost for the host\'s', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    const att = await joined(meeting, 'Attendee');
    const co = await joined(meeting, 'Cohost');
    const p = host.id;
    const actions = [
      ['mute', { participant: p, source: 'microphone' }], ['mute-all', {}],
      ['ask-unmute', { participant: p }], ['remove', { participant: p }],
      ['admit', { participant: p }], ['deny', { participant: p }],
      ['set-role', { participant: p, role: 'speaker' }], ['spotlight', { participant: p }],
      ['lock', {}], ['unlock', {}], ['end', {}], ['roll-call-start', { interval: 10 }],
      ['roll-call-stop', {}], ['roll-call-next', {}],
      ['give-floor', { participant: att.id, exclusive: true }], ['settings', { waitingRoom: true }],
    ];
    await host.event('participant-joined', (m) => m.participant.id === co.id);
    host.drain();
    for (const [action, fields] of actions) {
      const r = await att.moderate(action, fields);
      assert.equal(r.type, 'error', action);
      assert.equal(r.code, 'forbidden', `${action}: ${JSON.stringify(r)}`);
    }
    // Nothing happened.
    await host.quiet(() => true, 200);
    assert.equal(att.closed, null);

    await host.ok('set-role', { participant: co.id, role: 'cohost' });
    for (const [action, fields] of [
      ['remove', { participant: p }], ['mute', { participant: p }],
      ['set-role', { participant: p, role: 'attendee' }], ['end', {}],
      ['set-role', { participant: att.id, role: 'host' }],
    ]) {
      const r = await co.moderate(action, fields);
      assert.equal(r.code, 'forbidden', `cohost ${action}: ${JSON.stringify(r)}`);
    }
    await co.ok('lock');
    await co.ok('unlock');
    // Field errors come first, as bad-request.
    assert.equal((await att.moderate('roll-call-start', { interval: 5 })).code, 'bad-request');
    assert.equal((await att.moderate('teleport')).code, 'bad-request');
    assert.equal((await host.moderate('mute', { participant: 'p999999' })).code, 'bad-request');
  });

  test('mute, ask-unmute and mute-all are enforced by the server and shown to everyone', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    const b = await joined(meeting, 'B');
    const c = await joined(meeting, 'C');
    assert.equal((await publish(b)).type, 'answer');
    const mic = (await c.event('track-published', (m) => m.track.source === 'microphone')).track;

    await host.ok('mute', { participant: b.id, source: 'microphone' });
    assert.deepEqual(await b.event('mute-request'), { type: 'mute-request', source: 'microphone', muted: true });
    assert.equal((await c.event('track-updated', (m) => m.track.id === mic.id)).track.muted, true);
    await c.event('participant-updated', (m) => m.participant.id === b.id && m.participant.audioMuted);
    // The participant cannot lift a host's mute...
    const refused = await b.request({ type: 'mute', source: 'microphone', muted: false });
    assert.equal(refused.code, 'forbidden');
    // ...until asked; then it decides.
    await host.ok('ask-unmute', { participant: b.id, source: 'microphone' });
    assert.equal((await b.event('mute-request')).muted, false);
    await c.quiet((m) => m.type === 'track-updated', 200);
    assert.equal((await b.request({ type: 'mute', source: 'microphone', muted: false })).type, 'ok');
    assert.equal((await c.event('track-updated', (m) => m.track.id === mic.id)).track.muted, false);

    // mute-all: everyone but the moderators.
    assert.equal((await publish(host, 'firefox-publish-offer.sdp')).type, 'answer');
    c.drain();
    await host.ok('mute-all');
    assert.equal((await c.event('track-updated', (m) => m.track.id === mic.id)).track.muted, true);
    assert.equal((await c.event('mute-request')).muted, true);
    await c.quiet((m) => m.type === 'track-updated' && m.track.participant === host.id, 200);
  });

  test('waiting room: waiting, admit with the join\'s id, deny', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    await host.ok('settings', { waitingRoom: true });
    assert.equal((await host.event('meeting-updated')).meeting.waitingRoom, true);

    const b = await connect();
    b.send({ type: 'join', id: 'b-join', meeting, name: 'Bea' });
    assert.deepEqual(await b.waitFor((m) => m.id === 'b-join'), { type: 'waiting', id: 'b-join' });
    const w = await host.event('waiting');
    assert.equal(w.participant.name, 'Bea');
    assert.equal((await b.request({ type: 'chat', text: 'hi' })).code, 'bad-request');
    await host.ok('admit', { participant: w.participant.id });
    const j = await b.waitFor((m) => m.type === 'joined');
    assert.equal(j.id, 'b-join');
    assert.equal(j.self.id, w.participant.id);
    assert.equal((await host.event('participant-joined')).participant.id, j.self.id);

    const c = await connect();
    c.send({ type: 'join', id: 77, meeting, name: 'Cy' });
    await c.waitFor((m) => m.type === 'waiting');
    const wc = await host.event('waiting');
    // A host who joins later sees who waits in its joined reply.
    await host.ok('set-role', { participant: j.self.id, role: 'cohost' });
    assert.equal((await b.event('waiting')).participant.id, wc.participant.id);
    await host.ok('deny', { participant: wc.participant.id });
    const e = await c.waitFor((m) => m.type === 'error');
    assert.deepEqual([e.id, e.code], [77, 'denied']);
    assert.equal((await host.event('participant-left')).reason, 'denied');
    // The denied connection stays open and may try again.
    const again = await c.request({ type: 'join', meeting, name: 'Cy' });
    assert.equal(again.type, 'waiting');
  });

  test('lock refuses joins, unlock lets them in; remove; end', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    const b = await joined(meeting, 'B');
    await host.ok('lock');
    assert.equal((await b.event('meeting-updated')).meeting.locked, true);
    const x = await connect();
    assert.equal((await x.request({ type: 'join', meeting, name: 'X' })).code, 'locked');
    await host.ok('unlock');
    assert.equal((await x.request({ type: 'join', meeting, name: 'X' })).type, 'joined');
    const xid = (await host.event('participant-joined', (m) => m.participant.name === 'X')).participant.id;

    await host.ok('remove', { participant: xid });
    assert.ok((await x.event('removed')).reason);
    assert.equal((await x.waitClose()).code, 1000);
    assert.deepEqual(await b.event('participant-left', (m) => m.id === xid), { type: 'participant-left', id: xid, reason: 'removed' });

    host.send({ type: 'moderate', id: 99, action: 'end' });
    for (const c of [host, b]) {
      assert.deepEqual(await c.event('ended'), { type: 'ended' });
      assert.equal((await c.waitClose()).code, 1000);
    }
  });

  test('set-role, host transfer and spotlight', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'A');
    const b = await joined(meeting, 'B');
    const c = await joined(meeting, 'C');
    await a.ok('set-role', { participant: b.id, role: 'speaker' });
    assert.equal((await c.event('participant-updated', (m) => m.participant.id === b.id)).participant.role, 'speaker');
    await a.ok('set-role', { participant: c.id, role: 'cohost' });
    await a.ok('spotlight', { participant: b.id });
    assert.equal((await c.event('meeting-updated', (m) => m.meeting.spotlight === b.id)).meeting.spotlight, b.id);
    await a.ok('spotlight', { participant: null });
    await c.event('meeting-updated', (m) => m.meeting.spotlight === null);
    // The host leaves: the cohost takes over.
    await a.request({ type: 'leave' });
    assert.equal((await b.event('participant-updated', (m) => m.participant.id === c.id && m.participant.role === 'host')).participant.role, 'host');
    await c.ok('lock');
  });

  test('press interview: publish policy speakers, hands in order, the floor in turn', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    await host.ok('settings', { publish: 'speakers' });
    const guest = await joined(meeting, 'Interviewee');
    await host.ok('set-role', { participant: guest.id, role: 'speaker' });
    assert.equal((await publish(guest)).type, 'answer');
    const j1 = await joined(meeting, 'J1');
    const j2 = await joined(meeting, 'J2');
    const j3 = await joined(meeting, 'J3');
    // Attendees see hosts and speakers, and a count.
    assert.deepEqual(j3.joined.participants.map((p) => p.name).sort(), ['Host', 'Interviewee', 'J3']);
    assert.equal(j3.joined.meeting.participantCount, 5);
    assert.equal(j3.joined.tracks.length, 2);
    assert.equal((await j1.event('meeting-updated', (m) => m.meeting.participantCount === 5)).meeting.participantCount, 5);
    await j1.quiet((m) => m.type === 'participant-joined', 100);
    // An attendee may not publish.
    assert.equal((await publish(j1)).code, 'forbidden');

    // Hands, in raise order, for the host.
    await j2.request({ type: 'hand', raised: true });
    await j1.request({ type: 'hand', raised: true });
    const q = await host.event('meeting-updated', (m) => m.meeting.hands?.length === 2);
    assert.deepEqual(q.meeting.hands, [j2.id, j1.id]);

    // The floor to J2: a speaker, hand down, seen and heard by all.
    host.drain();
    await host.ok('give-floor', { participant: j2.id, exclusive: true });
    assert.equal((await j2.event('participant-updated', (m) => m.participant.id === j2.id && m.participant.role === 'speaker')).participant.hand, false);
    assert.equal((await j3.event('participant-joined')).participant.id, j2.id);
    assert.deepEqual((await host.event('meeting-updated', (m) => m.meeting.hands)).meeting.hands, [j1.id]);
    assert.equal((await publish(j2)).type, 'answer');
    const t = (await j3.event('track-published', (m) => m.track.participant === j2.id)).track;

    // The floor to J1, exclusively: J2's media ends, J2 is hidden again.
    await host.ok('give-floor', { participant: j1.id, exclusive: true });
    assert.equal((await j3.event('track-unpublished', (m) => m.id === t.id)).id, t.id);
    assert.deepEqual(await j3.event('participant-left', (m) => m.id === j2.id), { type: 'participant-left', id: j2.id, reason: 'hidden' });
    assert.equal((await j2.event('participant-updated', (m) => m.participant.id === j2.id && m.participant.role === 'attendee')).participant.role, 'attendee');
    assert.equal((await publish(j1)).type, 'answer');
    await j3.event('track-published', (m) => m.track.participant === j1.id);
    assert.equal((await publish(j2)).code, 'forbidden');
  });

  test('roll call: each site spotlighted in turn and the only one heard; next, timer, stop', { timeout: 40000 }, async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Dispatcher');
    const s1 = await joined(meeting, 'Site 1');
    const s2 = await joined(meeting, 'Site 2');
    const s3 = await joined(meeting, 'Site 3');
    for (const s of [s1, s2]) assert.equal((await publish(s)).type, 'answer');
    const mics = {};
    for (let i = 0; i < 2; i++) {
      const t = (await s3.event('track-published', (m) => m.track.source === 'microphone')).track;
      mics[t.participant] = t.id;
    }
    const micState = async (pid, muted) => {
      const u = await s3.event('track-updated', (m) => m.track.id === mics[pid] && m.track.muted === muted);
      assert.equal(u.track.muted, muted);
    };
    const current = (m) => m.meeting.rollCall?.current ?? null;

    await host.ok('roll-call-start', { interval: 10 });
    let mu = await s3.event('meeting-updated', (m) => m.meeting.rollCall);
    assert.deepEqual(mu.meeting.rollCall, { interval: 10, current: s1.id });
    assert.equal(mu.meeting.spotlight, s1.id);
    await micState(s2.id, true);
    assert.equal((await s1.event('mute-request')).muted, false);
    assert.equal((await s2.request({ type: 'mute', source: 'microphone', muted: false })).code, 'forbidden');

    await host.ok('roll-call-next');
    mu = await s3.event('meeting-updated', (m) => current(m) === s2.id);
    assert.equal(mu.meeting.spotlight, s2.id);
    await micState(s1.id, true);
    await micState(s2.id, false);

    // The timer moves on after the interval by itself.
    const t0 = Date.now();
    mu = await s3.event('meeting-updated', (m) => current(m) === s3.id, 13000);
    const took = Date.now() - t0;
    assert.ok(took > 8000 && took < 12500, `advanced after ${took} ms`);
    await micState(s2.id, true);

    await host.ok('roll-call-stop');
    mu = await s3.event('meeting-updated', (m) => m.meeting.rollCall === null);
    assert.equal(mu.meeting.spotlight, null);
    await micState(s2.id, false);
    assert.equal((await host.moderate('roll-call-next')).code, 'bad-request');

    // It stops when the host leaves.
    await host.ok('roll-call-start', { interval: 120 });
    await s3.event('meeting-updated', (m) => current(m) === s1.id);
    await host.request({ type: 'leave' });
    await s3.event('meeting-updated', (m) => m.meeting.rollCall === null);
  });

  test('chat: to everyone, privately; attendees privately to hosts only', async () => {
    const meeting = meetingNumber();
    const host = await joined(meeting, 'Host');
    const a = await joined(meeting, 'A');
    const b = await joined(meeting, 'B');
    assert.equal((await a.request({ type: 'chat', text: 'hello all' })).type, 'ok');
    for (const c of [host, a, b]) {
      const m = await c.event('chat');
      assert.deepEqual([m.from, m.to, m.text, m.name], [a.id, null, 'hello all', 'A']);
    }
    assert.equal((await a.request({ type: 'chat', text: 'psst', to: b.id })).code, 'forbidden');
    assert.equal((await a.request({ type: 'chat', text: 'a question', to: host.id })).type, 'ok');
    assert.equal((await host.event('chat')).to, host.id);
    await b.quiet((m) => m.type === 'chat', 200);
    assert.equal((await host.request({ type: 'chat', text: 'an answer', to: a.id })).type, 'ok');
    assert.equal((await a.event('chat', (m) => m.text === 'an answer')).from, host.id);
  });

  test('screen share: a second video track with source screen, one per meeting', async () => {
    const meeting = meetingNumber();
    const a = await joined(meeting, 'A');
    const b = await joined(meeting, 'B');
    const tracks = [{ mid: '0', source: 'microphone' }, { mid: '1', source: 'screen' }];
    assert.equal((await publish(a, 'chrome-publish-offer.sdp', tracks)).type, 'answer');
    const t = await b.event('track-published', (m) => m.track.kind === 'video');
    assert.equal(t.track.source, 'screen');
    assert.equal((await publish(b, 'chrome-publish-offer.sdp', tracks)).code, 'busy');
    assert.equal((await a.request({ type: 'unpublish', mid: '1' })).type, 'ok');
    assert.equal((await publish(b, 'chrome-publish-offer.sdp', tracks)).type, 'answer');
  });

  test('stored meetings: passcode, signed links, settings, lock, ended', async () => {
    const m = await createMeeting({ title: 'Briefing', passcode: '2468', waitingRoom: true, muteOnEntry: true });
    const x = await connect();
    assert.equal((await x.request({ type: 'join', meeting: m.number })).code, 'bad-passcode');
    assert.equal((await x.request({ type: 'join', meeting: m.number, passcode: '1357' })).code, 'bad-passcode');
    assert.equal((await x.request({ type: 'join', meeting: m.number, token: 'forged.token' })).code, 'unauthorized');
    const host = await joined(m.number, 'Host', { token: m.hostToken });
    assert.equal(host.self.role, 'host');
    assert.equal(host.joined.meeting.title, 'Briefing');
    assert.equal(host.joined.meeting.waitingRoom, true);
    assert.equal(host.joined.meeting.muteOnEntry, true);

    // With the passcode: the waiting room, then in, microphone muted.
    x.send({ type: 'join', id: 'x1', meeting: m.number, passcode: '2468', name: 'Guest' });
    await x.waitFor((msg) => msg.id === 'x1' && msg.type === 'waiting');
    await host.ok('admit', { participant: (await host.event('waiting')).participant.id });
    await x.waitFor((msg) => msg.id === 'x1' && msg.type === 'joined');
    assert.equal((await x.event('mute-request')).muted, true);

    await host.ok('lock');
    const y = await connect();
    assert.equal((await y.request({ type: 'join', meeting: m.number, passcode: '2468' })).code, 'locked');
    host.send({ type: 'moderate', id: 5, action: 'end' });
    await x.event('ended');
    assert.equal((await y.request({ type: 'join', meeting: m.number, passcode: '2468' })).code, 'ended');
    const z = await connect();
    assert.equal((await z.request({ type: 'join', meeting: '314159265' })).type, 'joined'); // open mode on
  });
});
