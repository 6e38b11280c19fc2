// TURN end to end: a real coturn on loopback with the TURN REST shared
// secret (use-auth-secret), the yunhui server configured with the same
// secret, and two Chromium pages whose every RTCPeerConnection is forced to
// iceTransportPolicy 'relay'. The media can then only go browser -> coturn
// -> the server's host candidate; the test checks that both pages decode
// each other's video and that the selected candidate pair's local side is
// a relay candidate.
//
// Needs coturn's turnserver (Debian package coturn, scripts/install-deps);
// skipped when it is not installed.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { launchBrowser, openParticipant, saveScreenshots } from './lib/browser.mjs';
import { freeUdpPort, startServer } from './lib/server.mjs';

const TIMEOUT_MS = 90000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TURNSERVER = process.env.TURNSERVER_BIN || '/usr/bin/turnserver';
const haveTurn = spawnSync(TURNSERVER, ['--version'], { stdio: 'ignore' }).status === 0;

// Runs in every page before the client: each RTCPeerConnection relays
// only, and is remembered for the stats below.
const RELAY_ONLY = `(() => {
  const Native = window.RTCPeerConnection;
  window.__relayPcs = [];
  window.__iceServersSeen = [];
  class RelayOnly extends Native {
    constructor(cfg = {}, ...rest) {
      super({ ...cfg, iceTransportPolicy: 'relay' }, ...rest);
      window.__iceServersSeen.push(cfg.iceServers ?? null);
      window.__relayPcs.push(this);
    }
  }
  window.RTCPeerConnection = RelayOnly;
})();`;

/** coturn on 127.0.0.1:<port> (UDP only) with a temp config; stop by PID. */
async function startTurn(secret) {
  const dir = mkdtempSync(join(tmpdir(), 'yunhui-turn-'));
  const port = await freeUdpPort();
  const pidfile = join(dir, 'turnserver.pid');
  const conf = [
    `listening-port=${port}`,
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    'min-port=49152',
    'max-port=65535',
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'realm=yunhui',
    'fingerprint',
    'no-tls',
    'no-dtls',
    'no-tcp',
    'no-rfc5780',
    'allow-loopback-peers',
    'no-cli',
    'no-software-attribute',
    `pidfile=${pidfile}`,
    'log-file=stdout',
    'verbose',
  ].join('\n');
  writeFileSync(join(dir, 'turnserver.conf'), `${conf}\n`);
  const proc = spawn(TURNSERVER, ['-c', join(dir, 'turnserver.conf')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (c) => { log += c.toString('utf8'); if (log.length > 1 << 20) log = log.slice(-(1 << 19)); };
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);
  let exited = null;
  const done = new Promise((res) => proc.once('exit', (code, signal) => { exited = { code, signal }; res(); }));
  const turn = {
    port,
    pid: proc.pid,
    log: () => log,
    async stop() {
      if (exited === null) {
        process.kill(proc.pid, 'SIGTERM');
        const killer = setTimeout(() => { if (exited === null) process.kill(proc.pid, 'SIGKILL'); }, 3000);
        await done;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready once it logs its UDP listener (or the pidfile appears).
  const deadline = Date.now() + 10000;
  while (!/listener opened on|IPv4. UDP listener/.test(log)) {
    if (exited) throw new Error(`turnserver exited early ${JSON.stringify(exited)}:\n${log}`);
    if (Date.now() > deadline) {
      await turn.stop();
      throw new Error(`turnserver not ready:\n${log}`);
    }
    await sleep(100);
  }
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    if (pid) turn.pid = pid;
  } catch { /* the pid of the spawned process serves */ }
  return turn;
}

async function joinMeeting(browser, baseUrl, meeting, name, parts) {
  const p = await openParticipant(browser, baseUrl, { meeting, name, autojoin: true });
  parts.push(p);
  await p.page.waitForFunction(() => ['joined', 'error', 'left'].includes(window.__yh?.state), null, { timeout: 10000 });
  assert.equal(await p.page.evaluate(() => window.__yh.state), 'joined', `${name} could not join`);
  return p;
}

/** Frames decoded from `name` (video) per window.__yh.inboundStats. */
async function framesFrom(p, name) {
  const list = await p.page.evaluate(() => window.__yh.inboundStats());
  let best = 0;
  for (const s of list) {
    if (s.kind === 'video' && (s.participantName ?? s.participant) === name) best = Math.max(best, s.framesDecoded ?? 0);
  }
  return best;
}

async function waitForVideo(p, name, timeout = 30000) {
  const deadline = Date.now() + timeout;
  let first = null;
  for (;;) {
    const f = await framesFrom(p, name);
    if (first === null && f > 0) first = f;
    if (first !== null && f > first + 10) return f;
    if (Date.now() > deadline) throw new Error(`${p.label}: no video from ${name} within ${timeout} ms (frames ${f})`);
    await sleep(500);
  }
}

/** The selected pair of every connected RTCPeerConnection of the page. */
function selectedPairs(p) {
  return p.page.evaluate(async () => {
    const out = [];
    for (const pc of window.__relayPcs) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      for (const t of byId.values()) {
        if (t.type !== 'transport' || !t.selectedCandidatePairId) continue;
        const pair = byId.get(t.selectedCandidatePairId);
        const local = pair && byId.get(pair.localCandidateId);
        const remote = pair && byId.get(pair.remoteCandidateId);
        out.push({
          state: pc.connectionState,
          policy: pc.getConfiguration().iceTransportPolicy,
          local: local && { type: local.candidateType, address: local.address, port: local.port, relayProtocol: local.relayProtocol, url: local.url },
          remote: remote && { type: remote.candidateType, address: remote.address, port: remote.port },
          bytesReceived: pair.bytesReceived,
        });
      }
    }
    return out;
  });
}

test('media flows through coturn with relay-only ICE', { skip: !haveTurn && 'turnserver not installed', timeout: TIMEOUT_MS }, async () => {
  const secret = randomBytes(24).toString('base64url');
  const parts = [];
  let turn = null;
  let srv = null;
  let browser = null;
  const initScript = join(mkdtempSync(join(tmpdir(), 'yunhui-relay-')), 'relay-only.js');
  writeFileSync(initScript, RELAY_ONLY);
  const savedInit = process.env.YH_E2E_INIT_SCRIPT;
  process.env.YH_E2E_INIT_SCRIPT = initScript;
  try {
    turn = await startTurn(secret);
    const url = `turn:127.0.0.1:${turn.port}?transport=udp`;
    srv = await startServer({ args: ['--turn-url', url, '--turn-secret', secret, '--turn-ttl', '600', '--https-port', '0'] });
    browser = await launchBrowser();
    const meeting = String(randomInt(100000000, 999999999));
    const a = await joinMeeting(browser, srv.baseUrl, meeting, 'Alice', parts);
    const b = await joinMeeting(browser, srv.baseUrl, meeting, 'Bob', parts);

    // joined.iceServers reached RTCPeerConnection: the TURN URL with a
    // "<expiry>:<participant id>" username.
    const seen = await a.page.evaluate(() => window.__iceServersSeen);
    assert.ok(seen.length >= 1, 'no RTCPeerConnection was created');
    const ice = seen[0];
    assert.equal(ice.length, 1);
    assert.deepEqual(ice[0].urls, [url]);
    const [exp, pid] = ice[0].username.split(':');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Number(exp) > now + 500 && Number(exp) <= now + 600, `expiry ${exp} vs now ${now}`);
    assert.match(pid, /^p\d+$/);
    assert.match(ice[0].credential, /^[A-Za-z0-9+/]{27}=$/);

    const fa = await waitForVideo(a, 'Bob');
    const fb = await waitForVideo(b, 'Alice');

    for (const p of [a, b]) {
      const pairs = await selectedPairs(p);
      assert.ok(pairs.length >= 1, `${p.label}: no selected candidate pair`);
      for (const pair of pairs) {
        assert.equal(pair.policy, 'relay');
        assert.equal(pair.local?.type, 'relay', `${p.label}: ${JSON.stringify(pair)}`);
        assert.equal(pair.remote?.address, '127.0.0.1');
        assert.equal(pair.remote?.port, srv.mediaPort);
      }
      console.log(`note: ${p.label} pairs ${JSON.stringify(pairs)}`);
    }
    console.log(`note: frames decoded Alice<-Bob ${fa}, Bob<-Alice ${fb}`);
    // The pages ran under the server's Content-Security-Policy without
    // anything blocked.
    for (const p of [a, b]) {
      const blocked = p.console.filter((l) => /Content Security Policy|Refused to/.test(l));
      assert.deepEqual(blocked, [], `${p.label}: CSP violations`);
    }
    // coturn accepted the credentials of both participants.
    const log = turn.log();
    assert.match(log, /user <\d+:p\d+>: incoming packet ALLOCATE processed, success/);
    assert.match(log, /CREATE_PERMISSION processed, success|CHANNEL_BIND processed, success/);
  } catch (err) {
    await saveScreenshots(parts, 'turn').catch(() => {});
    const lines = [`---- turn failed: ${err.message}`];
    if (srv) lines.push('---- server log tail:', srv.logTail(60));
    if (turn) lines.push('---- turnserver log tail:', turn.log().split('\n').slice(-60).join('\n'));
    for (const p of parts) lines.push(`---- console of ${p.label}:`, ...p.console.slice(-30));
    console.log(lines.join('\n'));
    throw err;
  } finally {
    if (savedInit === undefined) delete process.env.YH_E2E_INIT_SCRIPT;
    else process.env.YH_E2E_INIT_SCRIPT = savedInit;
    for (const p of parts) await p.close().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (srv) await srv.stop();
    if (turn) await turn.stop();
    rmSync(join(initScript, '..'), { recursive: true, force: true });
  }
});
