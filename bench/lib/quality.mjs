// bench/quality: what a receiver sees through an impaired network, Yunhui
// and Janus 1.1.2 (VideoRoom, simulcast) side by side. Figures, not a test.
//
// For each server and scenario: a fresh server in the yhquality namespace,
// yunhui-impair relays in front of its media ports, a publisher page A
// (960x540 fake camera, simulcast q/h/f) and a receiver page B in headless
// Chromium; B's stats are sampled while the relays apply the scenario:
//   1  5 % random loss in each direction on a path of 50 ms each way
//      (100 ms RTT, from before the call)
//   2  the downlink capped at 500 kbps for 30 s after 20 s clear, then lifted
//   3  20 % random loss in 2 s bursts (2 s on, 2 s off) on the downlink
// See docs/benchmarks.md ("Quality") for the topology and the definitions.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { janusVersion, machine, quietness } from './bench.mjs';
import { REPO } from './servers.mjs';
import { SERVER_NAMES, startRelays, startServer } from './quality_env.mjs';
import { writeClip } from './quality_clip.mjs';
import { burstFigures, capFigures, fmtTimeline, timeline, topWidthAt, windowFigures } from './quality_metrics.mjs';
import { collect, janusPeers, launch, pageServer, startCollectors, steadyFor, yunhuiPeers } from './quality_pages.mjs';
import { cpuWatch } from './quality_cpu.mjs';
import { installCleanup, netnsUp, sleep, stopChild } from './sys.mjs';

const HELP = `Usage: sudo bench/quality [options]
  --servers LIST     yunhui,janus (default both)
  --scenarios LIST   1,2,3 (default all)
  --quick            short durations (1: 15 s; 2: 8 + 10 + 12 s; 3: 16 s)
  --duration1 S      scenario 1 seconds under loss (default 60)
  --delay-step       scenario 1: the 50 ms delay each way starts with the
                     loss, as a step (default: from before the call, as the
                     length of the path)
  --duration3 S      scenario 3 seconds of bursts (default 60)
  --clear S          scenario 2 seconds before the cap (default 20)
  --capped S         scenario 2 seconds capped (default 30)
  --lifted S         scenario 2 seconds after the lift (default 30)
  --cap-kbps N       scenario 2 downlink cap (default 500)
  --cap-queue MS     scenario 2 queue in front of the cap (default 200)
  --burst-dirs D     scenario 3 bursts on the downlink (down, default) or
                     both directions (both)
  --fps N            A's camera frame rate (default 15)
  --camera C         clip: a generated 960x540 clip with sensor-like noise
                     (default); pattern: Chromium's built-in test pattern
  --sample-ms MS     B's stats sampling interval (default 500)
  --janus-ports N    Janus rtp_port_range size = relays for Janus (default 4)
  --seed N           relays' random seed (default 1)
  --build DIR        where yunhui and yunhui-impair are (default build)
  --out DIR          logs and results (default /tmp/yhquality-<time>)
Needs root (network namespace), Chromium (/usr/bin/chromium), playwright-core
(npm ci in tests/e2e) and Janus (installed with apt-get when missing).`;

function options() {
  const { values: v } = parseArgs({
    options: {
      servers: { type: 'string', default: 'yunhui,janus' },
      scenarios: { type: 'string', default: '1,2,3' },
      quick: { type: 'boolean', default: false },
      duration1: { type: 'string' }, duration3: { type: 'string' },
      'delay-step': { type: 'boolean', default: false },
      clear: { type: 'string' }, capped: { type: 'string' }, lifted: { type: 'string' },
      'cap-kbps': { type: 'string', default: '500' },
      'cap-queue': { type: 'string', default: '200' },
      'burst-dirs': { type: 'string', default: 'down' },
      fps: { type: 'string', default: '15' },
      camera: { type: 'string', default: 'clip' },
      'sample-ms': { type: 'string', default: '500' },
      'janus-ports': { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      build: { type: 'string', default: 'build' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const num = (x, name, lo, hi) => {
    const n = Number(x);
    if (!Number.isFinite(n) || n < lo || n > hi)
      throw new Error(`--${name} must be in ${lo}..${hi}`);
    return n;
  };
  const q = v.quick;
  const o = {
    help: v.help,
    servers: v.servers.split(','),
    scenarios: v.scenarios.split(',').map(Number),
    duration1: num(v.duration1 ?? (q ? 15 : 60), 'duration1', 5, 600),
    delayStep: v['delay-step'],
    duration3: num(v.duration3 ?? (q ? 16 : 60), 'duration3', 4, 600),
    clear: num(v.clear ?? (q ? 8 : 20), 'clear', 3, 300),
    capped: num(v.capped ?? (q ? 10 : 30), 'capped', 3, 300),
    lifted: num(v.lifted ?? (q ? 12 : 30), 'lifted', 3, 300),
    capKbps: num(v['cap-kbps'], 'cap-kbps', 50, 100000),
    capQueue: num(v['cap-queue'], 'cap-queue', 1, 5000),
    burstDirs: v['burst-dirs'],
    fps: num(v.fps, 'fps', 1, 60),
    camera: v.camera,
    sampleMs: num(v['sample-ms'], 'sample-ms', 100, 2000),
    janusPorts: num(v['janus-ports'], 'janus-ports', 2, 32),
    seed: num(v.seed, 'seed', 0, 2 ** 31),
    build: v.build,
    out: v.out,
  };
  if (!['clip', 'pattern'].includes(o.camera))
    throw new Error('--camera must be clip or pattern');
  if (!['down', 'both'].includes(o.burstDirs))
    throw new Error('--burst-dirs must be down or both');
  for (const s of o.servers)
    if (!SERVER_NAMES[s])
      throw new Error(`unknown server ${s} (yunhui, janus)`);
  for (const s of o.scenarios)
    if (![1, 2, 3].includes(s))
      throw new Error(`unknown scenario ${s} (1, 2, 3)`);
  return o;
}

const BURST_MS = 2000;
const S1_DELAY_MS = 50; // each way: 100 ms RTT
const WARMUP_MS = 40000; // at most, for B to settle on A's top layer
const STEADY_MS = 5000;
const STEADY_GAP_MS = 200;

// ---- one run: a server, its relays, a browser, A and B, one scenario ---------

// Until B has decoded A's full-size layer for STEADY_MS with no gap of
// more than STEADY_GAP_MS, at most WARMUP_MS. A's bandwidth estimate starts
// low and adds layers as it grows, and its encoder may still change
// resolution for a few seconds after B first sees the top layer (a run
// once began its loss on a receiver that had just dropped to 240 wide).
async function warmUp(peers, width) {
  const t0 = Date.now();
  let reached = false;
  while (!reached && Date.now() - t0 < WARMUP_MS) {
    await sleep(500);
    reached = (await steadyFor(peers, width, STEADY_GAP_MS)) >= STEADY_MS;
  }
  return { ms: Date.now() - t0, reached };
}

// Applies scenario `sc` through `relays`; returns the events (epoch ms).
async function impair(sc, o, relays, log) {
  const at = async (cmd) => {
    await relays.cmd(cmd);
    return Date.now();
  };
  if (sc === 1) {
    const on = await at(o.delayStep ? `loss 5 delay ${S1_DELAY_MS}` : 'loss 5');
    await sleep(o.duration1 * 1000);
    const off = await at('clear');
    return { on, off };
  }
  if (sc === 2) {
    const clearAt = Date.now();
    await sleep(o.clear * 1000);
    const capAt = await at(`down-rate ${o.capKbps} down-queue ${o.capQueue}`);
    await sleep(o.capped * 1000);
    const liftAt = await at('clear');
    await sleep(o.lifted * 1000);
    return { clearAt, capAt, liftAt, endAt: Date.now() };
  }
  // 3: loss 20 for 2 s, none for 2 s, on a fixed schedule.
  const dir = o.burstDirs === 'both' ? '' : 'down-';
  const bursts = [];
  const start = Date.now();
  const n = Math.max(1, Math.floor((o.duration3 * 1000) / (2 * BURST_MS)));
  for (let i = 0; i < n; i++) {
    await sleep(Math.max(0, start + 2 * i * BURST_MS - Date.now()));
    const on = await at(`${dir}loss 20`);
    await sleep(Math.max(0, start + (2 * i + 1) * BURST_MS - Date.now()));
    bursts.push({ on, off: await at(`${dir}loss 0`) });
  }
  await sleep(Math.max(0, start + 2 * n * BURST_MS - Date.now()));
  log(`    ${n} bursts`);
  return { start, end: Date.now(), bursts };
}

const STEADY_AFTER_MS = 5000;

function figures(sc, o, data, ev) {
  const { recv, send } = data;
  if (sc === 1) {
    const top = topWidthAt(send, ev.on);
    // The same figures from 5 s into the loss on: the onset (receivers'
    // jitter buffers growing to the playout floor at 100 ms a second, and
    // with --delay-step the step itself) apart from the steady state.
    const steady = windowFigures(recv, ev.on + STEADY_AFTER_MS, ev.off, top);
    return { top_width: top, ...windowFigures(recv, ev.on, ev.off, top), steady,
             timeline: timeline(recv, ev.on, ev.off) };
  }
  if (sc === 2)
    return { ...capFigures(recv, send, ev, o.capKbps), timeline: timeline(recv, ev.clearAt, ev.endAt) };
  const top = topWidthAt(send, ev.start);
  return { top_width: top, ...windowFigures(recv, ev.start, ev.end, top), ...burstFigures(recv, ev.bursts),
           timeline: timeline(recv, ev.start, ev.end) };
}

async function runOne(ctx, key, sc, log) {
  const dir = path.join(ctx.outDir, `${key}-s${sc}`);
  fs.mkdirSync(dir, { recursive: true });
  let srv = null, relays = null, br = null, peers = null;
  const busy = await quietness(1000);
  try {
    srv = await startServer(ctx, key, dir);
    relays = await startRelays(ctx, srv.mediaPorts, dir, ctx.seed);
    // Scenario 1's round trip is the path's length, there from the start
    // of the call; only the loss begins later.
    if (sc === 1 && !ctx.delayStep)
      await relays.cmd(`delay ${S1_DELAY_MS}`);
    br = await launch(ctx.outDir, ctx.clip);
    const media = { width: 960, height: 540, fps: ctx.fps };
    peers = key === 'janus' ? await janusPeers(br.browser, srv, media, ctx.pages)
      : await yunhuiPeers(br.browser, srv, media);
    await startCollectors(peers, ctx.sampleMs);
    const warm = await warmUp(peers, media.width);
    if (!warm.reached)
      log(`    B was not steady at ${media.width} wide within ${WARMUP_MS / 1000} s: starting anyway`);
    const stats0 = await relays.stats();
    const cpu = cpuWatch({ server: [srv.child.pid], relays: relays.relays.map((r) => r.child.pid),
                           chromium: br.pid ? [br.pid] : [] });
    const ev = await impair(sc, ctx, relays, log);
    const machineCpu = cpu();
    const stats1 = await relays.stats();
    const data = await collect(peers);
    fs.writeFileSync(path.join(dir, 'samples.json'), JSON.stringify({ ev, ...data }));
    const f = figures(sc, ctx, data, ev);
    f.warmup_ms = warm.ms;
    f.warmup_reached_top = warm.reached;
    f.relay = { clients: stats1.clients, up: diff(stats0.up, stats1.up), down: diff(stats0.down, stats1.down) };
    f.busy_before = busy.map((b) => Math.round(b * 100));
    f.cpu = machineCpu;
    const lims = data.send.filter((x) => x.t >= (ev.on ?? ev.clearAt ?? ev.start)).map((x) => x.layers.map((l) => l.lim));
    f.a_cpu_limited_pct = Math.round((100 * lims.filter((l) => l.includes('cpu')).length) / Math.max(1, lims.length));
    return f;
  } catch (e) {
    log(`    failed: ${e.message.split('\n')[0]}`);
    fs.writeFileSync(path.join(dir, 'error.txt'), `${e.stack}\n`);
    return { error: e.message.split('\n')[0] };
  } finally {
    await peers?.close().catch(() => {});
    for (const p of [peers?.a, peers?.b].filter(Boolean))
      fs.writeFileSync(path.join(dir, `console-${p.label}.log`), p.console.join('\n'));
    await br?.close();
    await relays?.stop();
    await stopChild(srv?.child);
  }
}

function diff(a, b) {
  const out = {};
  for (const k of Object.keys(b))
    out[k] = b[k] - (a[k] || 0);
  return out;
}

// ---- the tables ------------------------------------------------------------------

const ms = (x) => (x === null || x === undefined ? 'never' : `${x} ms`);
const num = (x, unit = '') => (x === null || x === undefined ? '-' : `${x}${unit}`);
const mark = (ok) => (ok === null ? '' : ok ? ' ✓' : ' ✗');

// [name, get(figures), target text, pass(figures) or null]
const FREEZES = ['video freezes (Chromium): count, time', (f) => `${f.freeze_count}, ${f.freeze_ms} ms`, '', null];
const PAUSES = ['video pauses of 5 s or more (Chromium): count, time', (f) => `${f.pause_count}, ${f.pause_ms} ms`, '', null];
const ROWS = {
  1: [
    FREEZES, PAUSES,
    ['video stalled (freezes + pauses, from frames)', (f) => `${f.stalled_ms} ms, ${num(f.stalled_pct, ' %')}`, '≤ 1 % of the call',
     (f) => f.stalled_pct !== null && f.stalled_pct <= 1],
    ['longest stall', (f) => ms(f.longest_stall_ms), '', null],
    ['video stalled from 5 s into the loss on', (f) => (f.steady ? `${f.steady.stalled_ms} ms, ${num(f.steady.stalled_pct, ' %')}` : '-'), '', null],
    ['mean frames per second', (f) => num(f.fps), '', null],
    ['time on the top layer', (f) => num(f.top_share_pct, ' %'), '', null],
    ['audio concealed', (f) => num(f.conceal_pct, ' %'), '≤ 3 %', (f) => f.conceal_pct !== null && f.conceal_pct <= 3],
    ['video / audio packets lost at B', (f) => `${f.video_loss_pct} / ${f.audio_loss_pct} %`, '', null],
    ['NACKs / PLIs sent by B', (f) => `${f.nacks} / ${f.plis}`, '', null],
  ],
  2: [
    ['fitting layer (A\'s rate before the cap)', (f) => f.fitting_layer ?? '-', '', null],
    ['to a fitting layer after the cap', (f) => ms(f.to_fitting_ms), '≤ 3000 ms',
     (f) => f.to_fitting_ms !== null && f.to_fitting_ms <= 3000],
    ['longest stall while capped', (f) => ms(f.longest_stall_capped_ms), '≤ 500 ms',
     (f) => f.longest_stall_capped_ms <= 500],
    ['capped: frames on a fitting layer', (f) => num(f.capped_share_on_fitting_pct, ' %'), '', null],
    ['back on the top layer after the lift', (f) => ms(f.back_on_top_ms), '≤ 10000 ms',
     (f) => f.back_on_top_ms !== null && f.back_on_top_ms <= 10000],
    ['stalled clear / capped / lifted', (f) => `${f.clear?.stalled_ms} / ${f.capped?.stalled_ms} / ${f.lifted?.stalled_ms} ms`, '', null],
    ['freezes, pauses while capped', (f) => `${f.capped?.freeze_count}, ${f.capped?.pause_count}`, '', null],
    ['fps clear / capped / lifted', (f) => `${f.clear?.fps} / ${f.capped?.fps} / ${f.lifted?.fps}`, '', null],
    ['video kbps at B while capped', (f) => num(f.capped?.video_kbps), '', null],
    ['audio concealed clear / capped / lifted', (f) => `${f.clear?.conceal_pct} / ${f.capped?.conceal_pct} / ${f.lifted?.conceal_pct} %`, '', null],
  ],
  3: [
    ['audio concealed', (f) => num(f.conceal_pct, ' %'), '≤ 10 %', (f) => f.conceal_pct !== null && f.conceal_pct <= 10],
    ['video recovery after a burst, max', (f) => `${f.recovery_max_open ? '≥ ' : ''}${ms(f.recovery_max_ms)}`, '≤ 1000 ms',
     (f) => f.recovery_max_ms !== null && f.recovery_max_ms <= 1000],
    ['video recovery after a burst, mean', (f) => ms(f.recovery_mean_ms), '', null],
    ['bursts during which video stalled', (f) => `${f.bursts_with_stall} of ${f.bursts}`, '', null],
    FREEZES, PAUSES,
    ['video stalled (freezes + pauses, from frames)', (f) => `${f.stalled_ms} ms, ${num(f.stalled_pct, ' %')}`, '', null],
    ['mean frames per second', (f) => num(f.fps), '', null],
    ['time on the top layer', (f) => num(f.top_share_pct, ' %'), '', null],
    ['video / audio packets lost at B', (f) => `${f.video_loss_pct} / ${f.audio_loss_pct} %`, '', null],
  ],
};

const MACHINE = ['CPU: both cores busy, seconds saturated; server, Chromium, relays (% of a core)',
  (f) => `${f.cpu.busy_mean_pct} %, ${f.cpu.saturated_s} of ${f.cpu.seconds} s; ` +
    `${f.cpu.core_pct.server}, ${f.cpu.core_pct.chromium}, ${f.cpu.core_pct.relays}`, '', null];
const A_LIMITED = ['A\'s encoder limited by CPU (share of samples)', (f) => `${f.a_cpu_limited_pct} %`, '', null];

export function table(sc, results, servers) {
  const head = `| scenario ${sc} | ${servers.map((k) => SERVER_NAMES[k]).join(' | ')} | target |`;
  const lines = [head, `|---|${servers.map(() => '---:').join('|')}|---|`];
  for (const [name, get, target, pass] of [...ROWS[sc], A_LIMITED, MACHINE]) {
    const cells = servers.map((k) => {
      const f = results[k]?.[sc];
      if (!f || f.error)
        return f?.error ? 'failed' : '-';
      return `${get(f)}${pass ? mark(pass(f)) : ''}`;
    });
    lines.push(`| ${name} | ${cells.join(' | ')} | ${target} |`);
  }
  return lines.join('\n');
}

function timelines(sc, results, servers) {
  return servers.map((k) => {
    const f = results[k]?.[sc];
    return f && !f.error ? `  ${SERVER_NAMES[k]}: ${fmtTimeline(f.timeline)}` : `  ${SERVER_NAMES[k]}: ${f?.error ?? '-'}`;
  }).join('\n');
}

// ---- main -----------------------------------------------------------------------

function prepare(o) {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root (it creates a network namespace): sudo bench/quality ...');
  const buildDir = path.resolve(REPO, o.build);
  for (const bin of ['yunhui', 'yunhui-impair'])
    if (!fs.existsSync(path.join(buildDir, bin)))
      throw new Error(`${path.join(buildDir, bin)} missing: build first (make build)`);
  if (o.servers.includes('janus')) {
    try {
      execFileSync('dpkg-query', ['-W', 'janus'], { stdio: 'ignore' });
    } catch {
      console.error('bench: installing Debian\'s janus (apt-get install janus)');
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'janus'],
                   { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
  }
  const outDir = o.out || `/tmp/yhquality-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.mkdirSync(outDir, { recursive: true });
  installCleanup();
  netnsUp();
  return { ...o, buildDir, outDir };
}

async function main() {
  const o = options();
  if (o.help) {
    console.log(HELP);
    return;
  }
  const ctx = prepare(o);
  const out = fs.createWriteStream(path.join(ctx.outDir, 'summary.txt'));
  const log = (s) => {
    console.log(s);
    out.write(`${s}\n`);
  };
  ctx.pages = await pageServer();
  if (o.camera === 'clip') {
    ctx.clip = path.join(ctx.outDir, 'camera.y4m');
    writeClip(ctx.clip, 960, 540, o.fps);
  }
  const load0 = os.loadavg();
  log(`bench/quality: ${machine()}; Janus ${janusVersion()}; load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  log(`scenarios ${o.scenarios.join(',')}: 1 = ${o.duration1} s${o.delayStep ? ' (delay step)' : ''}, ` +
      `2 = ${o.clear}+${o.capped}+${o.lifted} s (cap ${o.capKbps} kbps, queue ${o.capQueue} ms), ` +
      `3 = ${o.duration3} s (bursts ${o.burstDirs}); A: 960x540@${o.fps} ${o.camera}; out ${ctx.outDir}`);
  const results = {};
  const t0 = Date.now();
  for (const sc of o.scenarios) {
    for (const key of o.servers) {
      log(`  ${SERVER_NAMES[key]}, scenario ${sc} ...`);
      (results[key] ??= {})[sc] = await runOne(ctx, key, sc, log);
    }
    log(`\n${table(sc, results, o.servers)}\n\nresolution of B (from the impairment on):\n${timelines(sc, results, o.servers)}\n`);
  }
  await ctx.pages.close();
  if (ctx.clip)
    fs.rmSync(ctx.clip, { force: true }); // 47 MB at 15 fps, made again by each run
  const load1 = os.loadavg();
  log(`done in ${Math.round((Date.now() - t0) / 1000)} s; load before ${load0.map((x) => x.toFixed(2)).join(' ')}, ` +
      `after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  const json = { machine: machine(), janus: janusVersion(), options: { ...o, help: undefined }, load_before: load0,
                 load_after: load1, results };
  fs.writeFileSync(path.join(ctx.outDir, 'quality.json'), JSON.stringify(json, null, 1));
  log(`results: ${path.join(ctx.outDir, 'quality.json')}`);
  out.end();
}

main().catch((e) => {
  console.error(`bench/quality: ${e.message}`);
  process.exit(1);
});
