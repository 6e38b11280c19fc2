// The shared driver of bench/fanout and bench/meetings: options, checks,
// the namespace, stepping each server up until a step fails, an optional
// perf profile, and the side-by-side table.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, SERVERS } from './servers.mjs';
import { fmtStep, runStep, stepVerdict, toolBound } from './step.mjs';
import { cpuCoreSample, installCleanup, netnsUp, sleep } from './sys.mjs';

export function parseArgs(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length)
        throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--perf') o.perf = true;
    else if (a === '--servers') o.servers = val().split(',');
    else if (a === '--steps') o.steps = val().split(',').map(Number);
    else if (a === '--duration') o.duration = Number(val());
    else if (a === '--ramp') o.ramp = Number(val());
    else if (a === '--build') o.build = val();
    else if (a === '--out') o.out = val();
    else if (a === '--max-minutes') o.maxMinutes = Number(val());
    else if (a === '--video-kbps') o.videoKbps = Number(val());
    else if (a === '--janus-loops') o.janusLoops = Number(val());
    else if (a === '--tries') o.tries = Math.max(1, Math.min(5, Number(val())));
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const s of o.servers)
    if (!SERVERS[s])
      throw new Error(`unknown server ${s} (yunhui, janus)`);
  return o;
}

export const COMMON_HELP = `
  --quick            a short run (fewer, shorter steps)
  --servers LIST     yunhui,janus (default both, in that order)
  --steps LIST       the sizes to step through
  --duration S       seconds per step once everyone has joined
  --ramp N           participants started per second
  --video-kbps N     VP8 bitrate of each publisher (default 1500)
  --janus-loops N    Janus event_loops (default 1: one loop for the one core;
                     0 leaves it unset, Debian's default of a thread per handle)
  --tries N          runs of a failing step before the stepping stops (default 2)
  --perf             perf record the last good step of each server (10 s)
  --build DIR        where yunhui and yunhui-term are (default build)
  --out DIR          logs and results (default /tmp/yhbench-<time>)
  --max-minutes M    stop stepping after M minutes in all (default 9)
Needs root (network namespace, taskset), Janus (installed if missing: apt-get).`;

export function prepare(o) {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root (it creates a network namespace): sudo bench/...');
  const buildDir = path.resolve(REPO, o.build || 'build');
  for (const bin of ['yunhui', 'yunhui-term'])
    if (!fs.existsSync(path.join(buildDir, bin)))
      throw new Error(`${path.join(buildDir, bin)} missing: build first (make build)`);
  if (o.servers.includes('janus') && !hasJanus()) {
    console.error('bench: installing Debian\'s janus (apt-get install janus)');
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'janus'],
                 { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const outDir = o.out || `/tmp/yhbench-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.mkdirSync(outDir, { recursive: true });
  installCleanup();
  netnsUp();
  return { buildDir, outDir, videoKbps: o.videoKbps || 1500,
           janusLoops: o.janusLoops === undefined ? 1 : o.janusLoops,
           tries: o.tries || 2 };
}

function hasJanus() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Status}', 'janus']).toString()
      .includes('install ok installed');
  } catch {
    return false;
  }
}

// Steps one server through `sizes` (built into load parameters by
// `loadFor`) until a step fails, the load core saturates or time runs out.
export async function stepServer(ctx, key, sizes, loadFor, deadline, log) {
  const steps = [];
  let best = null, stop = 'all steps passed';
  for (const n of sizes) {
    if (Date.now() > deadline) {
      stop = 'time budget spent';
      break;
    }
    // A failed step runs again (--tries): on a shared machine one burst of
    // other work can push a p99 over the line. Every try is logged.
    let r, v;
    for (let attempt = 1; attempt <= (ctx.tries || 2); attempt++) {
      const waited = await waitQuiet(Math.min(15000, Math.max(0, deadline - Date.now())));
      if (waited.busy > QUIET)
        log(`  (machine still ${(waited.busy * 100).toFixed(0)}% busy after ${waited.seconds} s: running anyway)`);
      r = await runStep(ctx, key, loadFor(n));
      r.busy_before = waited.busy;
      v = stepVerdict(r, loadFor(n).limits);
      r.size = n;
      r.ok = v.ok;
      r.attempt = attempt;
      r.tool_bound = toolBound(r);
      steps.push(r);
      log(`  ${fmtStep(r)}${v.ok ? '' : `  -> FAIL (${v.why})`}${r.tool_bound ? '  [load tool saturated]' : ''}` +
          `${attempt > 1 ? `  (try ${attempt})` : ''}`);
      if (v.ok || Date.now() > deadline)
        break;
    }
    if (!v.ok) {
      stop = `failed at ${n}: ${v.why}${r.tool_bound ? ' (load tool saturated: tool-bound)' : ''}`;
      break;
    }
    best = r;
    if (r.tool_bound) {
      stop = `load tool saturated at ${n}: the figure is tool-bound, not server-bound`;
      break;
    }
  }
  return { server: key, steps, best, stop };
}

// perf record -g of the server for 10 s in the steady part of a step.
export async function profile(ctx, key, load, log) {
  const data = path.join(ctx.outDir, `perf-${key}.data`);
  const rampMs = ((load.publishers + load.subscribers) / load.ramp) * 1000;
  let perf = null;
  await runStep(ctx, key, {
    ...load, duration: Math.max(load.duration, 14),
    onSample: async (pid, tMs) => {
      if (!perf && tMs > rampMs + 2000) {
        perf = spawn('perf', ['record', '-g', '-o', data, '-p', String(pid), '--', 'sleep', '10'],
                     { stdio: 'ignore' });
        perf.done = new Promise((r) => perf.on('close', r));
      }
    },
  });
  if (!perf)
    return null;
  await perf.done;
  const report = (args) => {
    try {
      return execFileSync('perf', ['report', '--stdio', '-i', data, ...args],
                          { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch (e) {
      return `perf report failed: ${e.message}`;
    }
  };
  // A flat profile by symbol for the summary; call graphs in the file.
  const flat = report(['--no-children', '-g', 'none', '--sort', 'dso,sym', '--percent-limit', '0.5']);
  const head = flat.split('\n').filter((l) => l && !l.startsWith('#')).slice(0, 60).join('\n');
  fs.writeFileSync(path.join(ctx.outDir, `perf-${key}.txt`), flat);
  fs.writeFileSync(path.join(ctx.outDir, `perf-${key}-callgraph.txt`), report(['--no-children', '--percent-limit', '1']));
  log(`\nperf report --stdio (${SERVERS[key].name}, first 60 lines):\n${head}`);
  return head;
}

export function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0)
    return '-';
  return `${(a / b).toFixed(2)}x`;
}

// Markdown table: metric | Yunhui | Janus | Yunhui/Janus.
export function table(rows, results) {
  const keys = results.map((r) => r.server);
  const head = `| | ${keys.map((k) => SERVERS[k].name).join(' | ')} |${keys.length === 2 ? ' Yunhui/Janus |' : ''}`;
  const sep = `|---|${keys.map(() => '---:').join('|')}|${keys.length === 2 ? '---:|' : ''}`;
  const lines = [head, sep];
  for (const row of rows) {
    const vals = results.map((r) => row.get(r));
    const cells = vals.map((v) => (v === null || v === undefined ? '-' : row.fmt ? row.fmt(v) : String(v)));
    lines.push(`| ${row.name} | ${cells.join(' | ')} |${keys.length === 2 ? ` ${ratio(vals[0], vals[1])} |` : ''}`);
  }
  return lines.join('\n');
}

// Busy share of each core over `ms` before the bench starts: other work on
// the machine (browsers, compilers) makes every figure noisy.
export async function quietness(ms = 2000) {
  const a = [0, 1].map(cpuCoreSample);
  await sleep(ms);
  const b = [0, 1].map(cpuCoreSample);
  return a.map((x, i) => (b[i].busy - x.busy) / Math.max(1, b[i].total - x.total));
}

// Waits, up to `maxMs`, until both cores are less than QUIET busy over a
// second (the bench's own processes are stopped between steps).
const QUIET = 0.15;
async function waitQuiet(maxMs) {
  const t0 = Date.now();
  let busy = 1;
  do {
    busy = Math.max(...(await quietness(1000)));
  } while (busy > QUIET && Date.now() - t0 < maxMs);
  return { busy, seconds: Math.round((Date.now() - t0) / 1000) };
}

export function machine() {
  let kernel = os.release(), distro = '';
  try {
    distro = (fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="(.*)"/m) || [])[1] || '';
  } catch { /* unknown */ }
  const cpu = os.cpus();
  return `${cpu.length} cores (${cpu[0] ? cpu[0].model : '?'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${distro}, kernel ${kernel}`;
}

export function janusVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'janus']).toString();
  } catch {
    return '?';
  }
}

export { sleep };
