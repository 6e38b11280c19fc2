// The HTTP API (docs/protocol.md "HTTP API") against the real server:
// meetings with and without the admin key, reading and ending them, host
// accounts and sign-in, the usage report as JSON and CSV, input checking,
// and a restart that must keep meetings and the participation log.
// Run from the repository root: node --test --test-concurrency=1 tests/e2e/

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';

import { serverBinary, startServer } from './lib/server.mjs';

const KEY = 'e2e-admin-key-0123456789';
const ADMIN = { authorization: `Bearer ${KEY}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(srv, method, path, { body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(srv.baseUrl + path, init);
  const text = await res.text();
  let json = null;
  if (!raw && text) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, json, text };
}

function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.json.error.code, code, r.text);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
}

/** `yunhui --add-host USER` with the password on stdin. */
function addHost(dataDir, user, password) {
  const r = spawnSync(serverBinary(), ['--add-host', user, '--data-dir', dataDir], {
    input: `${password}\n`,
    encoding: 'utf8',
  });
  return r.status;
}

/** Joins over WebSocket; resolves with the `joined` reply or an error. */
function join(srv, meeting, extra = {}) {
  return new Promise((res, rej) => {
    const ws = new WebSocket(srv.wsUrl);
    const timer = setTimeout(() => rej(new Error('no reply to join')), 5000);
    ws.on('error', rej);
    ws.on('open', () => ws.send(JSON.stringify({
      type: 'join', id: 1, meeting, name: 'E2E', client: { kind: 'terminal', version: 'e2e' }, ...extra,
    })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id !== 1) return;
      clearTimeout(timer);
      res({ ws, msg });
    });
  });
}

function leave(ws) {
  return new Promise((res) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id === 99) { ws.close(); res(msg); }
    });
    ws.send(JSON.stringify({ type: 'leave', id: 99 }));
  });
}

describe('HTTP API', () => {
  let srv;
  let dataDir;

  before(async () => {
    dataDir = mkdtempSync(pathJoin(tmpdir(), 'yunhui-api-'));
    assert.equal(addHost(dataDir, 'alice', 'correct horse battery'), 0);
    srv = await startServer({ args: ['--data-dir', dataDir], env: { YUNHUI_ADMIN_KEY: KEY } });
  });
  after(async () => {
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the data directory holds the database and a private secret', () => {
    assert.ok(statSync(pathJoin(dataDir, 'yunhui.db')).isFile());
    assert.equal(statSync(pathJoin(dataDir, 'secret')).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });

  test('POST /api/meetings needs the admin key or a host session', async () => {
    assertError(await call(srv, 'POST', '/api/meetings', { body: {} }), 401, 'unauthorized');
    const wrong = await call(srv, 'POST', '/api/meetings', { body: {}, headers: { authorization: 'Bearer nope' } });
    assertError(wrong, 401, 'unauthorized');
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer');
    const r = await call(srv, 'POST', '/api/meetings', {
      headers: ADMIN,
      body: { title: 'Press interview', passcode: 'abc123', waitingRoom: true, publish: 'speakers',
        muteOnEntry: true, maxParticipants: 20, startsAt: '2030-05-01T08:00:00+08:00' },
    });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.number, /^[1-9][0-9]{8}$/);
    assert.match(r.json.hostToken, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(r.json.joinUrl.endsWith(`/?m=${r.json.number}`), r.json.joinUrl);
    const m = r.json.meeting;
    assert.equal(m.title, 'Press interview');
    assert.equal(m.status, 'scheduled');
    assert.equal(m.waitingRoom, true);
    assert.equal(m.publish, 'speakers');
    assert.equal(m.muteOnEntry, true);
    assert.equal(m.maxParticipants, 20);
    assert.equal(m.startsAt, '2030-05-01T00:00:00Z');
    assert.equal(m.passcode, 'abc123');
  });

  test('GET /api/meetings/{number} shows the passcode only to the admin', async () => {
    const { json: created } = await call(srv, 'POST', '/api/meetings', { headers: ADMIN, body: { passcode: 'p4ss' } });
    const pub = await call(srv, 'GET', `/api/meetings/${created.number}`);
    assert.equal(pub.status, 200);
    assert.equal(pub.json.number, created.number);
    assert.equal(pub.json.title, `Meeting ${created.number}`);
    assert.equal(pub.json.hasPasscode, true);
    assert.equal(pub.json.participants, 0);
    assert.equal('passcode' in pub.json, false);
    const adm = await call(srv, 'GET', `/api/meetings/${created.number}`, { headers: ADMIN });
    assert.equal(adm.json.passcode, 'p4ss');
    assertError(await call(srv, 'GET', '/api/meetings/987654321000'), 404, 'not-found');
    assertError(await call(srv, 'GET', '/api/meetings/not%20a%20number'), 404, 'not-found');
  });

  test('a passcode and a host link are enforced on join', async () => {
    const { json: c } = await call(srv, 'POST', '/api/meetings', { headers: ADMIN, body: { passcode: 'xyz' } });
    const bad = await join(srv, c.number, { passcode: 'nope' });
    assert.equal(bad.msg.code, 'bad-passcode');
    bad.ws.close();
    const host = await join(srv, c.number, { token: c.hostToken });
    assert.equal(host.msg.type, 'joined', JSON.stringify(host.msg));
    assert.equal(host.msg.self.role, 'host');
    const guest = await join(srv, c.number, { passcode: 'xyz' });
    assert.equal(guest.msg.type, 'joined', JSON.stringify(guest.msg));
    assert.equal(guest.msg.self.role, 'attendee');
    const live = await call(srv, 'GET', `/api/meetings/${c.number}`);
    assert.equal(live.json.participants, 2);
    await leave(guest.ws);
    await leave(host.ws);
  });

  test('DELETE /api/meetings/{number} ends it for good', async () => {
    const { json: c } = await call(srv, 'POST', '/api/meetings', { headers: ADMIN, body: {} });
    assertError(await call(srv, 'DELETE', `/api/meetings/${c.number}`), 401, 'unauthorized');
    const del = await call(srv, 'DELETE', `/api/meetings/${c.number}`, { headers: ADMIN });
    assert.equal(del.status, 200, del.text);
    assert.equal(del.json.status, 'ended');
    assert.match(del.json.endedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal((await call(srv, 'GET', `/api/meetings/${c.number}`)).json.status, 'ended');
    const j = await join(srv, c.number);
    assert.equal(j.msg.code, 'ended', JSON.stringify(j.msg));
    j.ws.close();
    assertError(await call(srv, 'DELETE', '/api/meetings/111222333', { headers: ADMIN }), 404, 'not-found');
  });

  test('host sign-in: a session creates and lists its own meetings', async () => {
    assertError(await call(srv, 'POST', '/api/login', { body: { user: 'alice', password: 'wrong' } }), 401, 'unauthorized');
    assertError(await call(srv, 'POST', '/api/login', { body: { user: 'mallory', password: 'x' } }), 401, 'unauthorized');
    assertError(await call(srv, 'POST', '/api/login', { body: { user: 'alice' } }), 400, 'bad-request');
    const login = await call(srv, 'POST', '/api/login', { body: { user: 'alice', password: 'correct horse battery' } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.user, 'alice');
    const session = { authorization: `Bearer ${login.json.token}` };
    const me = await call(srv, 'GET', '/api/session', { headers: session });
    assert.equal(me.json.user, 'alice');
    const made = await call(srv, 'POST', '/api/meetings', { headers: session, body: { title: 'Alice meets' } });
    assert.equal(made.status, 201, made.text);
    const mine = await call(srv, 'GET', '/api/meetings', { headers: session });
    assert.deepEqual(mine.json.meetings.map((m) => m.number), [made.json.number]);
    const all = await call(srv, 'GET', '/api/meetings?limit=1000', { headers: ADMIN });
    assert.ok(all.json.meetings.length > 1);
    // A session is not the admin key, and a join link is not a session.
    assertError(await call(srv, 'GET', '/api/usage', { headers: session }), 403, 'forbidden');
    const link = { authorization: `Bearer ${made.json.hostToken}` };
    assertError(await call(srv, 'GET', '/api/session', { headers: link }), 401, 'unauthorized');
    // Links that carry a role.
    const spk = await call(srv, 'POST', `/api/meetings/${made.json.number}/tokens`, {
      headers: session, body: { role: 'speaker', ttlSeconds: 3600 },
    });
    assert.equal(spk.status, 200, spk.text);
    assert.equal(spk.json.role, 'speaker');
    const j = await join(srv, made.json.number, { token: spk.json.token });
    assert.equal(j.msg.self?.role, 'speaker', JSON.stringify(j.msg));
    await leave(j.ws);
  });

  test('bad input gets a JSON error naming the problem', async () => {
    const post = (body, extra = {}) => call(srv, 'POST', '/api/meetings', { headers: { ...ADMIN, ...extra }, body });
    let r = await post('{"title":');
    assertError(r, 400, 'bad-request');
    assert.match(r.json.error.message, /malformed JSON/);
    r = await post({ title: 5 });
    assert.match(r.json.error.message, /'title' must be a string/);
    r = await post({ waitingRoom: 'yes' });
    assert.match(r.json.error.message, /'waitingRoom' must be true or false/);
    r = await post({ publish: 'all' });
    assert.match(r.json.error.message, /'publish'/);
    r = await post({ maxParticipants: -1 });
    assert.match(r.json.error.message, /'maxParticipants'/);
    r = await post({ startsAt: '2030-02-30T00:00:00Z' });
    assert.match(r.json.error.message, /'startsAt'/);
    r = await post({ title: 'x'.repeat(201) });
    assert.match(r.json.error.message, /'title' must be 1 to 200 bytes/);
    r = await post({ colour: 'red' });
    assert.match(r.json.error.message, /unknown field 'colour'/);
    r = await post('[]');
    assert.match(r.json.error.message, /JSON object/);
    assertError(await post(`{"title":"${'x'.repeat(70000)}"}`), 413, 'too-large');
    assertError(await call(srv, 'PUT', '/api/meetings', { headers: ADMIN }), 405, 'method-not-allowed');
    assertError(await call(srv, 'GET', '/api/nothing'), 404, 'not-found');
    assertError(await call(srv, 'GET', '/api/usage?from=yesterday', { headers: ADMIN }), 400, 'bad-request');
    assertError(await call(srv, 'GET', '/api/usage?format=xml', { headers: ADMIN }), 400, 'bad-request');
  });

  test('GET /api/usage as JSON and CSV; /metrics', async () => {
    const { json: c } = await call(srv, 'POST', '/api/meetings', { headers: ADMIN, body: { title: 'Usage "quoted"' } });
    const a = await join(srv, c.number);
    const b = await join(srv, c.number);
    await sleep(1200);
    await leave(b.ws);
    await leave(a.ws);
    const u = await call(srv, 'GET', '/api/usage', { headers: ADMIN });
    assert.equal(u.status, 200, u.text);
    const row = u.json.byMeeting.find((m) => m.number === c.number);
    assert.ok(row, u.text);
    assert.equal(row.sessions, 2);
    assert.equal(row.peakParticipants, 2);
    assert.ok(row.participantMinutes > 2 * 1.0 / 60 && row.participantMinutes < 1, u.text);
    assert.ok(row.meetingMinutes >= 1.0 / 60 && row.meetingMinutes <= row.participantMinutes);
    assert.ok(u.json.peakParticipants >= 2);
    assert.ok(u.json.participantMinutes >= row.participantMinutes);
    const csv = await call(srv, 'GET', '/api/usage?format=csv', { headers: ADMIN, raw: true });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    const lines = csv.text.split('\r\n');
    assert.equal(lines[0], 'meeting,title,sessions,participant_minutes,meeting_minutes,peak_participants,first_join,last_leave');
    assert.ok(lines.some((l) => l.startsWith(`"${c.number}","Usage ""quoted""",2,`)), csv.text);
    assert.ok(lines.some((l) => l.startsWith('"total"')));
    // A window before the session counts nothing.
    const empty = await call(srv, 'GET', '/api/usage?from=2001-01-01&to=2001-01-02', { headers: ADMIN });
    assert.equal(empty.json.meetings, 0);
    const metrics = await call(srv, 'GET', '/metrics', { raw: true });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^yunhui_up 1$/m);
    assert.match(metrics.text, /^yunhui_meetings\{status="scheduled"\} \d+$/m);
  });
});

describe('HTTP API without an admin key', () => {
  test('admin routes answer 403 and say why', async () => {
    const srv = await startServer({ env: { YUNHUI_ADMIN_KEY: '' } });
    try {
      const r = await call(srv, 'POST', '/api/meetings', { body: {} });
      assertError(r, 403, 'forbidden');
      assert.match(r.json.error.message, /admin-key/);
      assertError(await call(srv, 'GET', '/api/usage'), 403, 'forbidden');
      assert.match(srv.log(), /admin API disabled/);
    } finally {
      await srv.stop();
    }
  });

  test('--open-meetings off: unknown numbers are not opened', async () => {
    const srv = await startServer({ args: ['--open-meetings', 'off'] });
    try {
      const j = await join(srv, '123123123');
      assert.equal(j.msg.code, 'not-found', JSON.stringify(j.msg));
      j.ws.close();
    } finally {
      await srv.stop();
    }
  });
});

describe('restart', () => {
  test('meetings and the participation log survive a restart', async () => {
    const dataDir = mkdtempSync(pathJoin(tmpdir(), 'yunhui-restart-'));
    const opts = { args: ['--data-dir', dataDir], env: { YUNHUI_ADMIN_KEY: KEY } };
    let srv = await startServer(opts);
    try {
      const { json: c } = await call(srv, 'POST', '/api/meetings', { headers: ADMIN, body: { title: 'Before restart' } });
      const a = await join(srv, c.number, { token: c.hostToken });
      const b = await join(srv, c.number);
      assert.equal(a.msg.type, 'joined');
      assert.equal(b.msg.type, 'joined');
      await sleep(2000);
      await leave(b.ws);
      await leave(a.ws);
      const exit = await srv.stop();
      assert.equal(exit.code, 0, 'clean shutdown');

      srv = await startServer(opts);
      const m = await call(srv, 'GET', `/api/meetings/${c.number}`);
      assert.equal(m.status, 200);
      assert.equal(m.json.title, 'Before restart');
      assert.equal(m.json.status, 'scheduled');
      const u = await call(srv, 'GET', '/api/usage', { headers: ADMIN });
      const row = u.json.byMeeting.find((x) => x.number === c.number);
      assert.ok(row, u.text);
      assert.equal(row.sessions, 2);
      assert.ok(row.participantMinutes > 3.5 / 60, u.text); // two stays of ~2 s
      // Still joinable, and the host link signed before the restart works.
      const again = await join(srv, c.number, { token: c.hostToken });
      assert.equal(again.msg.type, 'joined', JSON.stringify(again.msg));
      assert.equal(again.msg.self.role, 'host');
      await leave(again.ws);
    } finally {
      await srv.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
