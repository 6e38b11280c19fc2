// bench/soak: a long run with churn. One server on loopback (its own
// ports, its own data directory under /tmp) keeps --participants
// yunhui-term participants in --meetings meetings; every second the
// oldest participant leaves (SIGTERM: it sends `leave`; every --kill-every
// th is SIGKILLed instead, so the server drops it after its 20 s resume
// window) and a new one joins. The server's RSS, threads and open file
// descriptors are sampled every few seconds; the summary gives the RSS
// after the warm-up and at the end, the growth, the joins and leaves done
// and every error: a participant that exits non-zero (or must be killed),
// an ERROR line in the server log, a server that dies or that does not
// exit 0 on SIGTERM. Figures, not a test: `make test` does not run it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from './bench.mjs';
import { REPO } from './servers.mjs';
import { procSample, sleep, waitHttp } from './sys.mjs';

const HELP = `Usage: bench/soak [options]
  --minutes M        churn time (default 10; at least 10 for the record,
                     1 for a quick check; at most 120)
  --participants N   participants at any time (default 20, at most 100)
  --meetings K       meetings they are spread over, round-robin (default 4)
  --warmup S         seconds of churn before the reference RSS (default 60,
                     at most half the run)
  --sample S         seconds between samples (default 5)
  --kill-every K     every K-th leave is a SIGKILL, not a clean leave
                     (default 10; 0: never)
  --width/--height/--fps/--video-kbps/--audio-kbps
                     each participant's media (default 160x120, 5 fps,
                     100 kbps VP8, 16 kbps Opus)
  --max-growth P     exit 1 when RSS grew more than P % (default 5)
  --build DIR        where yunhui and yunhui-term are (default build)
  --out DIR          logs and results (default /tmp/yhsoak-<time>)
  --json             print the result as JSON on stdout (the summary goes
                     to stderr)
Exit status: 0 when there was no error and the growth is within
--max-growth, 1 otherwise, 2 on bad usage.`;

const LEAVE_GRACE_MS = 10000; // a participant must be gone this long after SIGTERM
const MIN_AGE_MS = 3000;      // a participant signalled younger may not have its handler yet
const MEDIA_AGE_MS = 8000;    // a participant that stayed this long must have received media
const MAX_TERM_S = 600;       // each participant's own --duration cap

function options() {
  const { values: v } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      participants: { type: 'string', default: '20' },
      meetings: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '60' },
      sample: { type: 'string', default: '5' },
      'kill-every': { type: 'string', default: '10' },
      width: { type: 'string', default: '160' },
      height: { type: 'string', default: '120' },
      fps: { type: 'string', default: '5' },
      'video-kbps': { type: 'string', default: '100' },
      'audio-kbps': { type: 'string', default: '16' },
      'max-growth': { type: 'string', default: '5' },
      build: { type: 'string', default: 'build' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const num = (name, lo, hi) => {
    const x = Number(v[name]);
    if (!Number.isFinite(x) || x < lo || x > hi) throw new Error(`--${name} must be in ${lo}..${hi}`);
    return x;
  };
  const o = {
    help: v.help,
    json: v.json,
    minutes: num('minutes', 0.5, 120),
    participants: Math.round(num('participants', 2, 100)),
    meetings: Math.round(num('meetings', 1, 50)),
    sample: num('sample', 1, 60),
    killEvery: Math.round(num('kill-every', 0, 1000)),
    media: ['--width', String(num('width', 16, 1920)), '--height', String(num('height', 16, 1080)),
            '--fps', String(num('fps', 1, 60)), '--video-kbps', String(num('video-kbps', 10, 5000)),
            '--audio-kbps', String(num('audio-kbps', 6, 256))],
    maxGrowth: num('max-growth', 0, 1000),
    build: path.resolve(REPO, v.build),
    out: v.out || path.join(os.tmpdir(), `yhsoak-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  };
  o.warmup = Math.min(num('warmup', 0, 3600), (o.minutes * 60) / 2);
  return o;
}

function freePort(kind) {
  return new Promise((res, rej) => {
    if (kind === 'tcp') {
      const s = net.createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    } else {
      const s = dgram.createSocket('udp4');
      s.once('error', rej);
      s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    }
  });
}

// A child process with an `exited` promise that resolves to {code, signal}.
function start(cmd, args, logFile) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', fd] });
  fs.closeSync(fd);
  child.out = '';
  child.stdout.on('data', (c) => { if (child.out.length < 1 << 20) child.out += c; });
  child.exited = new Promise((res) => {
    child.once('error', (e) => res({ code: null, signal: null, error: e.message }));
    // 'close', not 'exit': stdout (the JSON report) is read to its end by then.
    child.once('close', (code, signal) => res({ code, signal }));
  });
  return child;
}

// GET /healthz on a connection of its own (no keep-alive: a reused socket
// the server already closed would count as a failure); null or the reason.
function healthz(port, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? null : `status ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(e.message));
  });
}

function fdCount(pid) {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return null; }
}

const o = (() => {
  try { return options(); } catch (e) { console.error(`bench/soak: ${e.message}\n${HELP}`); process.exit(2); }
})();
if (o.help) {
  console.log(HELP);
  process.exit(0);
}
const say = (s) => { (o.json ? process.stderr : process.stdout).write(`${s}\n`); };
for (const b of ['yunhui', 'yunhui-term'])
  if (!fs.existsSync(path.join(o.build, b))) {
    console.error(`bench/soak: ${path.join(o.build, b)} not found: run 'make build' or pass --build DIR`);
    process.exit(2);
  }
fs.mkdirSync(o.out, { recursive: true });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yhsoak-data-'));

// Everything started here is killed by PID on any exit.
const children = new Set();
let server = null;
function cleanup() {
  for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ }
  if (server && server.exitCode === null) try { server.kill('SIGKILL'); } catch { /* gone */ }
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));

const httpPort = await freePort('tcp');
const mediaPort = await freePort('udp');
const serverLog = path.join(o.out, 'yunhui.log');
server = start(path.join(o.build, 'yunhui'), [
  '--http-bind', '127.0.0.1', '--http-port', String(httpPort), '--https-port', '0',
  '--media-bind', '127.0.0.1', '--media-port', String(mediaPort), '--announce-ip', '127.0.0.1',
  '--data-dir', dataDir, '--web-root', path.join(REPO, 'web')], serverLog);
server.stdout.on('data', (c) => fs.appendFileSync(serverLog, c));
let serverExit = null; // set when it exits before we stop it
let stopping = false;
server.exited.then((e) => { if (!stopping) serverExit = e; });
await waitHttp(`http://127.0.0.1:${httpPort}/healthz`, server);

say(`bench/soak: ${machine()}`);
say(`server pid ${server.pid} on 127.0.0.1:${httpPort} (media udp ${mediaPort}); ${o.participants} participants ` +
    `in ${o.meetings} meetings, one leaves and one joins every second for ${o.minutes} min; ` +
    `warm-up ${o.warmup} s; logs in ${o.out}`);

// ---- participants ----------------------------------------------------------

const st = { joins: 0, leaves: 0, kills: 0, termErrors: [], noMedia: 0, reports: 0 };
const live = []; // oldest first
let seq = 0;
const termLog = path.join(o.out, 'terms.log');

function join() {
  const n = ++seq;
  const meeting = `soak-${(n % o.meetings) + 1}`;
  const args = ['--server', `ws://127.0.0.1:${httpPort}/ws`, '--meeting', meeting, '--name', `Soak-${n}`,
                '--bind', '127.0.0.1', '--duration', String(MAX_TERM_S), '--quiet', '--json', ...o.media];
  const c = start(path.join(o.build, 'yunhui-term'), args, termLog);
  c.n = n;
  c.meeting = meeting;
  c.since = Date.now();
  children.add(c);
  live.push(c);
  st.joins++;
  c.exited.then((e) => {
    children.delete(c);
    const i = live.indexOf(c);
    if (i >= 0) live.splice(i, 1); // it ended on its own: that is an error
    if (c.killedByUs) return;
    if (e.code !== 0 || !c.leaving) {
      st.termErrors.push(`participant ${n} (${meeting}): exit ${e.code}${e.signal ? ` ${e.signal}` : ''}` +
                         `${c.leaving ? '' : ' before it was asked to leave'}`);
      return;
    }
    try {
      const r = JSON.parse(c.out);
      st.reports++;
      if (c.leftAt - c.since >= MEDIA_AGE_MS && !(r.streams || []).some((s) => s.packets > 0)) {
        st.noMedia++;
        fs.appendFileSync(termLog, `participant ${n} (${meeting}) stayed ${c.leftAt - c.since} ms, received nothing\n`);
      }
    } catch { st.termErrors.push(`participant ${n}: no JSON report`); }
  });
  return c;
}

async function leave(c) {
  const i = live.indexOf(c);
  if (i >= 0) live.splice(i, 1);
  st.leaves++;
  const age = Date.now() - c.since;
  if (age < MIN_AGE_MS) await sleep(MIN_AGE_MS - age);
  c.leftAt = Date.now();
  if (o.killEvery && st.leaves % o.killEvery === 0) {
    c.killedByUs = true;
    st.kills++;
    c.kill('SIGKILL');
    return;
  }
  c.leaving = true;
  c.kill('SIGTERM');
  const t = setTimeout(() => {
    if (c.exitCode === null && c.signalCode === null) {
      c.killedByUs = true;
      st.termErrors.push(`participant ${c.n}: still running ${LEAVE_GRACE_MS / 1000} s after SIGTERM`);
      c.kill('SIGKILL');
    }
  }, LEAVE_GRACE_MS);
  await c.exited;
  clearTimeout(t);
}

// ---- samples -----------------------------------------------------------------

const samples = [];
const t0 = Date.now();
function sampleServer(phase) {
  const p = procSample(server.pid);
  if (!p) return null;
  const s = { t: (Date.now() - t0) / 1000, phase, rss_kb: p.rss_kb, threads: p.threads,
              fds: fdCount(server.pid), cpu_s: p.cpu_us / 1e6, live: live.length };
  samples.push(s);
  fs.appendFileSync(path.join(o.out, 'samples.jsonl'), `${JSON.stringify(s)}\n`);
  return s;
}

// Ramp: the participants join 4 a second, then the churn starts.
for (let i = 0; i < o.participants && !serverExit; i++) {
  join();
  await sleep(250);
}
const churnStart = Date.now();
const churnEnd = churnStart + o.minutes * 60000;
let warm = null;
let nextSample = churnStart;
let nextTick = churnStart;
const healthFails = [];
while (Date.now() < churnEnd && !serverExit) {
  if (Date.now() >= nextSample) {
    nextSample += o.sample * 1000;
    const s = sampleServer('churn');
    if (!warm && s && Date.now() - churnStart >= o.warmup * 1000) warm = s;
    if (s && samples.length % 6 === 0)
      say(`  ${s.t.toFixed(0).padStart(5)} s  rss ${(s.rss_kb / 1024).toFixed(1)} MiB  threads ${s.threads}  fds ${s.fds}` +
          `  live ${s.live}  joins ${st.joins}  errors ${st.termErrors.length}`);
    // Not awaited: a slow answer must not hold up the churn.
    const at = ((Date.now() - t0) / 1000).toFixed(0);
    healthz(httpPort, 5000).then((why) => { if (why) healthFails.push(`${at} s: ${why}`); });
  }
  // One out, one in; a participant that died on its own is replaced too.
  if (live.length >= o.participants) leave(live[0]);
  while (live.length < o.participants) join();
  nextTick += 1000;
  await sleep(Math.max(0, nextTick - Date.now()));
}
const end = sampleServer('end');

// Everyone leaves; the server idles until the killed ones expire, then stops.
await Promise.all([...live].map((c) => leave(c)));
const killedGone = Date.now() + 22000;
while (Date.now() < killedGone && !serverExit) await sleep(1000);
const idle = sampleServer('idle');
let stopExit = serverExit;
if (!serverExit) {
  stopping = true;
  server.kill('SIGTERM');
  const t = setTimeout(() => server.kill('SIGKILL'), 10000);
  stopExit = await server.exited;
  clearTimeout(t);
}

// ---- the result ----------------------------------------------------------------

const logText = fs.readFileSync(serverLog, 'utf8');
const errorLines = logText.split('\n').filter((l) => /^\S+ ERROR /.test(l) || /AddressSanitizer|runtime error:/.test(l));
const warnLines = logText.split('\n').filter((l) => /^\S+ WARN /.test(l));
const serverErrors = [];
if (serverExit) serverErrors.push(`server died during the run: ${JSON.stringify(serverExit)}`);
else if (stopExit.code !== 0) serverErrors.push(`server exit on SIGTERM: ${JSON.stringify(stopExit)}`);
if (healthFails.length)
  serverErrors.push(`/healthz failed ${healthFails.length} times (${healthFails.slice(0, 5).join('; ')})`);
const ref = warm || samples[0];
const growth = ref && end ? ((end.rss_kb - ref.rss_kb) / ref.rss_kb) * 100 : null;
const churnSamples = samples.filter((s) => s.phase === 'churn' && s.t >= (ref ? ref.t : 0));
const result = {
  machine: machine(),
  command: `bench/soak ${process.argv.slice(2).join(' ')}`.trim(),
  minutes: o.minutes, participants: o.participants, meetings: o.meetings, warmup_s: o.warmup,
  joins: st.joins, leaves: st.leaves, killed: st.kills, reports: st.reports, no_media: st.noMedia,
  rss_kb: { warm: ref?.rss_kb ?? null, end: end?.rss_kb ?? null, idle: idle?.rss_kb ?? null,
            max: Math.max(...churnSamples.map((s) => s.rss_kb)) },
  rss_growth_pct: growth === null ? null : Number(growth.toFixed(2)),
  fds: { warm: ref?.fds ?? null, end: end?.fds ?? null, idle: idle?.fds ?? null },
  threads: { warm: ref?.threads ?? null, end: end?.threads ?? null },
  server_cpu_s: end ? Number(end.cpu_s.toFixed(1)) : null,
  errors: st.termErrors.length + errorLines.length + serverErrors.length,
  term_errors: st.termErrors.slice(0, 50),
  server_errors: serverErrors,
  server_error_lines: errorLines.slice(0, 50),
  server_warn_lines: warnLines.length,
  out: o.out,
};
fs.writeFileSync(path.join(o.out, 'soak.json'), JSON.stringify(result, null, 1));
const mib = (kb) => (kb === null || kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);
say(`\nsoak: ${o.minutes} min, ${o.participants} participants in ${o.meetings} meetings`);
say(`  joins ${st.joins}, leaves ${st.leaves} (${st.kills} by SIGKILL), reports ${st.reports} (${st.noMedia} without media)`);
say(`  RSS after warm-up (${ref ? ref.t.toFixed(0) : '-'} s) ${mib(result.rss_kb.warm)}, at the end ${mib(result.rss_kb.end)}` +
    ` (growth ${growth === null ? '-' : growth.toFixed(2)} %), max ${mib(result.rss_kb.max)}, idle after all left ${mib(result.rss_kb.idle)}`);
say(`  open fds warm/end/idle ${result.fds.warm}/${result.fds.end}/${result.fds.idle}; threads ${result.threads.warm}/${result.threads.end}; server CPU ${result.server_cpu_s} s`);
say(`  errors ${result.errors}: participants ${st.termErrors.length}, server log ERROR lines ${errorLines.length}, server ${serverErrors.length}; WARN lines ${warnLines.length}`);
for (const e of [...serverErrors, ...st.termErrors.slice(0, 10), ...errorLines.slice(0, 10)]) say(`    ${e}`);
if (o.json) process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
process.exit(result.errors === 0 && growth !== null && growth <= o.maxGrowth ? 0 : 1);
