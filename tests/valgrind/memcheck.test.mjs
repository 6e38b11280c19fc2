// The server under valgrind memcheck through one real meeting: a stored
// meeting made with the admin API, a host on the signaling protocol
// (chat, mute and ask-unmute, spotlight, lock and unlock, hand queue),
// an attendee that publishes a Chrome offer and then drops its connection
// (so its resume state is still held at shutdown), and two yunhui-term
// participants exchanging VP8 and Opus for a few seconds. Then the host
// ends the meeting. A second, ad-hoc meeting keeps a publishing
// participant connected through the stop, so shutdown frees a live meeting
// too. The server is stopped with SIGTERM, and the run fails on any
// memcheck error or any definitely or indirectly lost block.
//
// Run from the repository root (`make memcheck`, part of `make test`):
//   node --test tests/valgrind/memcheck.test.mjs
// The server is $YUNHUI_BIN or build/yunhui (a RelWithDebInfo build: line
// numbers in reports), the terminal $YUNHUI_TERM_BIN or build/yunhui-term.
// Suppressions: tests/valgrind/yunhui.supp (third-party one-time state
// only). Valgrind makes the server 20-50 times slower: every wait here is
// generous, and the media is small (160x120 at 10 fps).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ProtocolClient } from '../e2e/lib/client.mjs';
import { REPO_ROOT, startServer } from '../e2e/lib/server.mjs';

const ADMIN_KEY = 'memcheck-admin-key-0123456789';
const MEDIA_SECONDS = 8;
const WAIT_MS = 20000; // a protocol reply under valgrind
const VALGRIND_EXIT = 99;
const SUPP = join(REPO_ROOT, 'tests', 'valgrind', 'yunhui.supp');
const haveValgrind = spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function termBinary() {
  return process.env.YUNHUI_TERM_BIN || join(REPO_ROOT, 'build', 'yunhui-term');
}

/** Runs yunhui-term to its end; resolves with {code, signal, stdout, stderr, json}. */
function runTerm(args, timeoutMs) {
  return new Promise((resolve) => {
    const proc = spawn(termBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code, signal) => {
      clearTimeout(killer);
      let json = null;
      try { json = JSON.parse(stdout); } catch { json = null; }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

async function api(srv, method, path, body) {
  const res = await fetch(srv.baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}

async function joinAs(srv, number, name, extra = {}) {
  const c = new ProtocolClient(srv.wsUrl);
  await c.opened();
  const r = await c.waitForReply({ type: 'join', meeting: number, name, client: { kind: 'load', version: 'memcheck' }, ...extra });
  assert.equal(r.type, 'joined', JSON.stringify(r));
  c.id = r.self.id;
  return c;
}

// ProtocolClient.request waits 5 s; valgrind needs longer.
ProtocolClient.prototype.waitForReply = function waitForReply(msg) {
  const id = this.nextId++;
  this.send({ ...msg, id });
  return this.waitFor((m) => m.id === id, `reply to ${msg.type} #${id}`, WAIT_MS);
};

async function ok(c, msg) {
  const r = await c.waitForReply(msg);
  assert.equal(r.type, 'ok', `${JSON.stringify(msg)}: ${JSON.stringify(r)}`);
}

/** The memcheck summary lines of the log, for the report. */
function summary(log) {
  return log.split('\n').filter((l) => /total heap usage|ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|All heap blocks/.test(l)).join('\n');
}

test('the server under valgrind: one meeting, no memory error, no leak', {
  skip: haveValgrind ? false : 'valgrind is not installed (scripts/install-deps installs it)',
  timeout: 240000,
}, async () => {
  assert.ok(existsSync(termBinary()), `${termBinary()} not found: run 'make build' or set YUNHUI_TERM_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'yunhui-memcheck-'));
  const vgLog = join(dir, 'valgrind.log');
  const wrap = ['valgrind', '--tool=memcheck', '--leak-check=full',
    '--errors-for-leak-kinds=definite,indirect', '--show-leak-kinds=definite,indirect',
    `--error-exitcode=${VALGRIND_EXIT}`, '--track-origins=yes', '--num-callers=30',
    `--suppressions=${SUPP}`, `--log-file=${vgLog}`];
  const srv = await startServer({
    wrap,
    args: ['--data-dir', join(dir, 'data'), '--https-port', '0'],
    env: { YUNHUI_ADMIN_KEY: ADMIN_KEY },
    timeoutMs: 90000,
    stopTimeoutMs: 90000,
  });
  const clients = [];
  let stopped = false;
  try {
    const made = await api(srv, 'POST', '/api/meetings', { title: 'Memcheck' });
    assert.equal(made.status, 201, made.text);
    const number = made.json.number;
    const host = await joinAs(srv, number, 'Host', { token: made.json.hostToken });
    clients.push(host);

    // An attendee publishes a real Chrome offer, raises its hand, and
    // then loses its connection without leaving.
    const drop = await joinAs(srv, number, 'Dropped');
    clients.push(drop);
    const sdp = readFileSync(join(REPO_ROOT, 'tests', 'vectors', 'sdp', 'chrome-publish-offer.sdp'), 'utf8');
    const pub = await drop.waitForReply({ type: 'publish', sdp, tracks: [] });
    assert.notEqual(pub.type, 'error', JSON.stringify(pub));
    await ok(drop, { type: 'hand', raised: true });
    await ok(host, { type: 'chat', text: 'welcome' });
    drop.close();

    const server = ['--server', srv.wsUrl, '--meeting', number, '--bind', '127.0.0.1',
      '--width', '160', '--height', '120', '--fps', '10', '--video-kbps', '150',
      '--quiet', '--json'];
    const limit = (MEDIA_SECONDS + 60) * 1000;
    const termA = runTerm([...server, '--name', 'Term-A', '--duration', String(MEDIA_SECONDS + 2)], limit);
    const termB = runTerm([...server, '--name', 'Term-B', '--duration', String(MEDIA_SECONDS)], limit);

    // Control while the media flows.
    const seen = await host.waitFor((m) => m.type === 'participant-joined' && m.participant?.name === 'Term-A',
      'Term-A joined', WAIT_MS);
    const a = seen.participant.id;
    await sleep(2000);
    await ok(host, { type: 'moderate', action: 'mute', participant: a, source: 'microphone' });
    await ok(host, { type: 'moderate', action: 'ask-unmute', participant: a, source: 'microphone' });
    await ok(host, { type: 'moderate', action: 'spotlight', participant: a });
    await ok(host, { type: 'moderate', action: 'lock' });
    await ok(host, { type: 'moderate', action: 'unlock' });
    await ok(host, { type: 'chat', text: 'private', to: a });

    const [ra, rb] = await Promise.all([termA, termB]);
    for (const [name, r] of [['Term-A', ra], ['Term-B', rb]]) {
      assert.equal(r.code, 0, `${name} exit ${r.code} ${r.signal ?? ''}\n${r.stderr.slice(-2000)}`);
      const got = (r.json?.streams ?? []).filter((s) => s.packets > 0).map((s) => s.kind).sort();
      assert.ok(got.includes('audio') && got.includes('video'), `${name} received ${JSON.stringify(got)}`);
    }

    // Still in a meeting, with a publishing connection, when the server stops.
    const stay = await joinAs(srv, `memcheck-${process.pid}`, 'Stays');
    clients.push(stay);
    const pub2 = await stay.waitForReply({ type: 'publish', sdp, tracks: [] });
    assert.notEqual(pub2.type, 'error', JSON.stringify(pub2));

    const usage = await api(srv, 'GET', '/api/usage');
    assert.equal(usage.status, 200, usage.text);
    host.send({ type: 'moderate', id: 999, action: 'end' });
    await host.waitClose(WAIT_MS);

    // The report: valgrind exits VALGRIND_EXIT on any error or leak.
    stopped = true;
    let exit;
    let failure = null;
    try {
      exit = await srv.stop();
    } catch (err) {
      failure = err;
    }
    const log = existsSync(vgLog) ? readFileSync(vgLog, 'utf8') : '';
    console.log(`---- valgrind:\n${summary(log)}`);
    if (failure) throw new Error(`${failure.message}\n---- valgrind log:\n${log.slice(-20000)}`);
    assert.equal(exit.code, 0, `valgrind log:\n${log.slice(-20000)}`);
    assert.match(log, /ERROR SUMMARY: 0 errors/);
  } finally {
    for (const c of clients) c.close();
    if (!stopped) await srv.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});
