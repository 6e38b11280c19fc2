// System helpers for bench/: the benchmark network namespace, processes
// started pinned to a core (and stopped by PID at exit, whatever happens),
// and CPU, memory and interface counters read from /proc and /sys.
//
// Everything a bench starts is registered here and torn down by cleanup(),
// which runs on normal exit, on SIGINT/SIGTERM and on an uncaught error.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

// The namespace a bench uses; bench/quality picks its own (useNetwork), so
// it can run while bench/fanout holds this one. Live bindings: importers
// see the values useNetwork sets.
export let NETNS = 'yhbench';
export let HOST_IF = 'yhb0';
export let NS_IF = 'yhb1';
export let HOST_ADDR = '198.18.0.1'; // RFC 2544 benchmarking range
export let NS_ADDR = '198.18.0.2';
export const CLK_TCK = 100; // USER_HZ on Linux (getconf CLK_TCK)

const started = new Set(); // child processes we started
let nsCreated = false;

/** Another namespace and veth pair than yhbench's, before netnsUp(). */
export function useNetwork({ netns, hostIf, nsIf, hostAddr, nsAddr }) {
  [NETNS, HOST_IF, NS_IF, HOST_ADDR, NS_ADDR] = [netns, hostIf, nsIf, hostAddr, nsAddr];
}

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts }).toString();
}

export function netnsExists() {
  try {
    return run('ip', ['netns', 'list']).split('\n').some((l) => l.split(' ')[0] === NETNS);
  } catch {
    return false;
  }
}

// Creates the namespace with a veth pair: host side HOST_ADDR/24, namespace
// side NS_ADDR/24, lo up inside. Refuses to reuse one that already exists
// (another bench may be running); `ip netns del yhbench` removes a stale one.
export function netnsUp() {
  if (netnsExists())
    throw new Error(`network namespace ${NETNS} exists (another bench using it running? ` +
                    `remove a stale one with: ip netns del ${NETNS})`);
  run('ip', ['netns', 'add', NETNS]);
  nsCreated = true;
  run('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF]);
  run('ip', ['link', 'set', NS_IF, 'netns', NETNS]);
  run('ip', ['addr', 'add', `${HOST_ADDR}/24`, 'dev', HOST_IF]);
  run('ip', ['link', 'set', HOST_IF, 'up']);
  run('ip', ['-n', NETNS, 'addr', 'add', `${NS_ADDR}/24`, 'dev', NS_IF]);
  run('ip', ['-n', NETNS, 'link', 'set', NS_IF, 'up']);
  run('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
}

function netnsDown() {
  if (!nsCreated)
    return;
  nsCreated = false;
  // Deleting the namespace destroys NS_IF and with it its peer HOST_IF.
  try { run('ip', ['netns', 'del', NETNS]); } catch { /* already gone */ }
  try { run('ip', ['link', 'del', HOST_IF]); } catch { /* gone with the namespace */ }
}

// Everything under test runs at this nice level: on a machine shared with
// other work (browsers at nice -8 were seen), the same priority for both
// servers and the load tool keeps the comparison about the servers.
export const NICE = '-20';

// Starts `cmd args` at NICE, pinned to `core` (taskset) when one is given,
// inside the namespace when `netns` is true. `ip netns exec`, `nice` and
// `taskset` all exec, so the child's PID is the program's PID. Output goes
// to `logFile`, after the command line.
export function startPinned({ cmd, args, core, netns, logFile, env }) {
  const pin = core === undefined ? [] : ['taskset', '-c', String(core)];
  const argv = ['nice', '-n', NICE, ...pin, cmd, ...args];
  const full = netns ? ['ip', 'netns', 'exec', NETNS, ...argv] : argv;
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `$ ${full.join(' ')}\n`);
  const child = spawn(full[0], full.slice(1), {
    stdio: ['ignore', out, out], env: { ...process.env, ...(env || {}) },
  });
  fs.closeSync(out);
  child.exited = new Promise((resolve) => child.on('exit', (code, sig) => {
    started.delete(child);
    resolve({ code, sig });
  }));
  started.add(child);
  return child;
}

// SIGTERM, then SIGKILL after `graceMs`; by PID, only our own children.
export async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null)
    return;
  try { process.kill(child.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
  await child.exited;
  clearTimeout(t);
}

// Registers a process started elsewhere (a browser) for the exit cleanup;
// with `group`, its whole process group. Returns the unregistering call.
export function registerPid(pid, group) {
  const entry = { pid: group ? -pid : pid, exitCode: null, signalCode: null };
  started.add(entry);
  return () => started.delete(entry);
}

export function cleanup() {
  for (const c of started) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  started.clear();
  netnsDown();
}

export function installCleanup() {
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(sig, () => { cleanup(); process.exit(130); });
  process.on('uncaughtException', (e) => { console.error(e); cleanup(); process.exit(1); });
  process.on('unhandledRejection', (e) => { console.error(e); cleanup(); process.exit(1); });
}

// utime + stime of the whole process (all threads), in microseconds, and
// resident memory in KiB; null when the process is gone.
export function procSample(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: ") S ppid ...".
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number((status.match(/^VmRSS:\s+(\d+)/m) || [0, 0])[1]);
    const threads = Number((status.match(/^Threads:\s+(\d+)/m) || [0, 0])[1]);
    return { cpu_us: (ticks * 1e6) / CLK_TCK, rss_kb: rss, threads };
  } catch {
    return null;
  }
}

// Busy and total jiffies of one CPU from /proc/stat.
export function cpuCoreSample(core) {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${core} `));
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + v[4]; // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// Packets the host side of the veth received, i.e. packets the server in
// the namespace sent out (media, RTCP, STUN and signaling alike).
export function hostRxPackets() {
  return Number(fs.readFileSync(`/sys/class/net/${HOST_IF}/statistics/rx_packets`, 'utf8'));
}

// UDP counters (RFC 4113 names, /proc/net/snmp) of the host namespace or,
// with `netns`, of the bench namespace: receive-buffer overflows say which
// side dropped packets.
export function udpCounters(netns) {
  let text;
  try {
    text = netns ? run('ip', ['netns', 'exec', NETNS, 'cat', '/proc/net/snmp'])
                 : fs.readFileSync('/proc/net/snmp', 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.startsWith('Udp: '));
  if (lines.length < 2)
    return null;
  const k = lines[0].split(/\s+/).slice(1), v = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(k.map((name, i) => [name, v[i]]));
}

export function udpDelta(a, b) {
  if (!a || !b)
    return null;
  return { rcvbuf: b.RcvbufErrors - a.RcvbufErrors, sndbuf: b.SndbufErrors - a.SndbufErrors,
           inerr: b.InErrors - a.InErrors };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export function httpGet(url, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function waitHttp(url, child, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited before answering ${url}`);
    try {
      const r = await httpGet(url, 500);
      if (r.status === 200)
        return;
    } catch { /* not up yet */ }
    await sleep(200);
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`);
}
