// Starts the real yunhui server binary for end-to-end tests.
//
// API (shared by protocol.test.mjs and media.test.mjs):
//
//   import { startServer, readCpuTicks, CLK_TCK, REPO_ROOT } from './lib/server.mjs';
//
//   const srv = await startServer({ args: [], env: {}, timeoutMs: 10000 });
//     options: args (appended), env, timeoutMs, httpPort, mediaPort,
//     announceIp (the address in SDP candidates, default '127.0.0.1'; e.g.
//     '127.0.0.2' to put yunhui-impair in front of the media port)
//     srv.pid          server process id
//     srv.httpPort     TCP port of HTTP + WebSocket (bound on 127.0.0.1)
//     srv.mediaPort    UDP port of the media plane (bound on 127.0.0.1)
//     srv.baseUrl      'http://127.0.0.1:<httpPort>'
//     srv.wsUrl        'ws://127.0.0.1:<httpPort>/ws'
//     srv.log()        everything the server wrote to stderr/stdout so far
//     srv.logTail(n)   the last n lines of it (default 60)
//     srv.alive()      true while the process has not exited
//     srv.exitInfo     {code, signal} once it exited, else null
//     srv.cpuTicks()   utime+stime of the process in clock ticks (CLK_TCK/s)
//     await srv.healthz()  HTTP status of GET /healthz (0 if unreachable)
//     await srv.stop()     SIGTERM, then SIGKILL after stopTimeoutMs; resolves
//                          with exitInfo once it exited, and rejects when the
//                          server wrote a sanitizer report (AddressSanitizer,
//                          LeakSanitizer, UBSan "runtime error:"), died of a
//                          signal other than our SIGTERM, or exited non-zero
//     options also: wrap (a command prefix, e.g. ['valgrind', ...]: the
//     server runs as wrap[0] with wrap[1..], the binary and its arguments),
//     stopTimeoutMs (default $YUNHUI_STOP_TIMEOUT_MS or 3000)
//
//   $YUNHUI_SANITIZED=1 (set by `make e2e-asan`, whose YUNHUI_BIN is the
//   -DYH_SANITIZE=ON build) makes stop() stricter: a server that must be
//   SIGKILLed fails too, since LeakSanitizer only runs on a clean exit.
//
//   The binary is $YUNHUI_BIN or <repo>/build/yunhui. It runs with its cwd in
//   a fresh temporary directory, so whatever files it writes stay out of the
//   repository. startServer rejects (with the log in the message) when the
//   binary is missing, exits early, or /healthz is not 200 within timeoutMs.
//
//   readCpuTicks(pid) reads utime+stime from /proc/<pid>/stat; CPU% over a
//   window is 100 * (ticks1 - ticks0) / CLK_TCK / seconds.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux (USER_HZ)

const MAX_LOG_BYTES = 4 * 1024 * 1024;

// What AddressSanitizer, LeakSanitizer and UBSan print first in a report.
const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

/** The report's lines (up to 60) from `log`, or null when there is none. */
export function sanitizerReport(log) {
  const lines = log.split('\n');
  const i = lines.findIndex((l) => SANITIZER_RE.test(l));
  return i < 0 ? null : lines.slice(Math.max(0, i - 2), i + 60).join('\n');
}

/** Why a stopped server counts as failed, or null. `killed`: we sent SIGKILL. */
function exitProblem(exitInfo, log, killed) {
  const report = sanitizerReport(log);
  if (report) return `sanitizer report:\n${report}`;
  if (killed && process.env.YUNHUI_SANITIZED === '1') {
    return 'did not exit after SIGTERM (killed: LeakSanitizer could not run)';
  }
  if (exitInfo.signal && exitInfo.signal !== 'SIGTERM' && exitInfo.signal !== 'SIGKILL') {
    return `died of ${exitInfo.signal}`;
  }
  if (exitInfo.code !== null && exitInfo.code !== 0) return `exit code ${exitInfo.code}`;
  return null;
}

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export function freeTcpPort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** A UDP port that was free a moment ago. */
export function freeUdpPort(host = '127.0.0.1') {
  return new Promise((res, rej) => {
    const sock = createSocket('udp4');
    sock.once('error', rej);
    sock.bind(0, host, () => {
      const { port } = sock.address();
      sock.close(() => res(port));
    });
  });
}

/** utime + stime of a process in clock ticks, or NaN when it is gone. */
export function readCpuTicks(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // Field 2 (comm) is parenthesised and may contain spaces: split after the
  // last ')'. The remaining fields start at field 3 (state); utime and stime
  // are fields 14 and 15 (proc(5)).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[14 - 3]) + Number(rest[15 - 3]);
}

export function serverBinary() {
  return process.env.YUNHUI_BIN || join(REPO_ROOT, 'build', 'yunhui');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function httpStatus(url, timeoutMs = 2000) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export async function startServer(opts = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(`server binary ${bin} not found: run 'make build' or set YUNHUI_BIN`);
  }
  const httpPort = opts.httpPort ?? (await freeTcpPort());
  const mediaPort = opts.mediaPort ?? (await freeUdpPort());
  const args = [
    '--http-bind', '127.0.0.1', '--http-port', String(httpPort),
    '--media-bind', '127.0.0.1', '--media-port', String(mediaPort),
    '--announce-ip', opts.announceIp ?? '127.0.0.1',
    '--web-root', join(REPO_ROOT, 'web'),
    ...(opts.args ?? []),
  ];
  const cwd = mkdtempSync(join(tmpdir(), 'yunhui-e2e-'));
  const wrap = opts.wrap ?? [];
  const proc = spawn(wrap.length ? wrap[0] : bin, [...wrap.slice(1), ...(wrap.length ? [bin] : []), ...args], {
    cwd,
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = `$ ${[...wrap, bin, ...args].join(' ')}\n`;
  const append = (chunk) => {
    log += chunk.toString('utf8');
    if (log.length > MAX_LOG_BYTES) log = log.slice(log.length - MAX_LOG_BYTES / 2);
  };
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);

  let exitInfo = null;
  let spawnError = null;
  const exited = new Promise((res) => {
    proc.once('error', (e) => { spawnError = e; exitInfo = { code: null, signal: null }; res(); });
    proc.once('exit', (code, signal) => { exitInfo = { code, signal }; res(); });
  });

  const stopTimeoutMs = opts.stopTimeoutMs ?? Number(process.env.YUNHUI_STOP_TIMEOUT_MS || 3000);
  let killed = false;
  // Stops the process and removes its directory; never throws, so a
  // failed start still reports its own error.
  const halt = async () => {
    if (exitInfo === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => {
        if (exitInfo === null) {
          killed = true;
          proc.kill('SIGKILL');
        }
      }, stopTimeoutMs);
      await exited;
      clearTimeout(killer);
    }
    rmSync(cwd, { recursive: true, force: true });
    return exitInfo;
  };

  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const srv = {
    pid: proc.pid,
    proc,
    httpPort,
    mediaPort,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${httpPort}/ws`,
    log: () => log,
    logTail: (n = 60) => log.split('\n').slice(-n - 1).join('\n'),
    alive: () => exitInfo === null,
    get exitInfo() { return exitInfo; },
    cpuTicks: () => readCpuTicks(proc.pid),
    healthz: () => httpStatus(`${baseUrl}/healthz`),
    async stop() {
      await halt();
      const problem = exitProblem(exitInfo, log, killed);
      if (problem) {
        throw new Error(`server ${bin}: ${problem}\nlog tail:\n${srv.logTail(40)}`);
      }
      return exitInfo;
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  for (;;) {
    if (exitInfo !== null) {
      await halt();
      const why = spawnError ? spawnError.message : `exit code ${exitInfo.code} signal ${exitInfo.signal}`;
      throw new Error(`server exited before it was healthy (${why}); log:\n${srv.logTail(80)}`);
    }
    if ((await srv.healthz()) === 200) return srv;
    if (Date.now() > deadline) {
      await halt();
      throw new Error(`server /healthz not 200 within ${opts.timeoutMs ?? 10000} ms; log:\n${srv.logTail(80)}`);
    }
    await sleep(100);
  }
}
