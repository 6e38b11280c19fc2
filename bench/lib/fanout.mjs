// bench/fanout: one publisher (VP8 ~1.5 Mbps + Opus) to N subscribers in
// one meeting, Yunhui then Janus on the same cores. N steps up until loss
// > 1% or p99 delay > 50 ms (or the load core saturates). Prints max N,
// server CPU us per forwarded packet, packets/s out, RSS per subscriber.
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_HELP, janusVersion, machine, parseArgs, prepare, profile, quietness, stepServer, table }
  from './bench.mjs';
import { runStep } from './step.mjs';

const FULL_STEPS = [10, 25, 50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 2500, 3000];
const QUICK_STEPS = [10, 50, 100, 150, 200, 300, 400, 600, 800];

const o = parseArgs(process.argv.slice(2), { servers: ['yunhui', 'janus'], maxMinutes: 9 });
if (o.help) {
  console.log(`Usage: bench/fanout [options]\n${COMMON_HELP}`);
  process.exit(0);
}
const steps = o.steps || (o.quick ? QUICK_STEPS : FULL_STEPS);
const duration = o.duration || (o.quick ? 6 : 10);
const ramp = o.ramp || 100;
const window = Math.max(3, Math.min(6, duration - 3));
const ctx = prepare(o);
const log = (s) => { console.log(s); fs.appendFileSync(path.join(ctx.outDir, 'fanout.txt'), `${s}\n`); };
const loadFor = (n) => ({ publishers: 1, subscribers: n, meetings: 1, duration, ramp, window });

log(`bench/fanout: ${machine()}; Janus ${janusVersion()} (event_loops ${ctx.janusLoops || "unset"}); logs in ${ctx.outDir}`);
log(`steps ${steps.join(',')}; ${duration} s each after the ramp (${ramp}/s); window ${window} s`);
const busy = await quietness();
log(`machine before the run: core 0 ${(busy[0] * 100).toFixed(0)}% busy, core 1 ${(busy[1] * 100).toFixed(0)}% busy` +
    (Math.max(...busy) > 0.15 ? '  WARNING: other work is running; figures will be noisy' : ''));
// Each server gets an equal, fixed share of the time budget.
const t0 = Date.now(), budget = o.maxMinutes * 60000;
const results = [];
for (const [i, key] of o.servers.entries()) {
  log(`\n${key}:`);
  // With no subscriber: the memory every subscriber's figure is counted from.
  const base = await runStep(ctx, key, { ...loadFor(0), duration: 3, window: 2 });
  const share = t0 + ((i + 1) * budget) / o.servers.length;
  const r = await stepServer(ctx, key, steps, loadFor, share, log);
  r.base_rss_kb = base.window ? base.window.rss_kb : base.idle_rss_kb;
  log(`  ${key}: ${r.stop}`);
  results.push(r);
}

const w = (r) => (r.best ? r.best.window : null);
const rows = [
  { name: 'max subscribers (loss <= 1%, p99 <= 50 ms)', get: (r) => (r.best ? r.best.size : 0) },
  { name: 'packets/s out at max', get: (r) => (w(r) ? Math.round(w(r).pkts / w(r).seconds) : null) },
  { name: 'server CPU us per packet out', get: (r) => (w(r) && w(r).pkts ? w(r).server_cpu_us / w(r).pkts : null),
    fmt: (v) => v.toFixed(2) },
  { name: 'server CPU at max (% of its core)', get: (r) => (w(r) ? (w(r).server_cpu_us / 1e4) / w(r).seconds : null),
    fmt: (v) => v.toFixed(0) },
  // CPU-bound extrapolations: where the server's own core would run out,
  // whatever the load tool or the delay limit allowed to measure.
  { name: 'projected packets/s out at 100% of the core', get: (r) => (w(r) && w(r).pkts ? Math.round(1e6 / (w(r).server_cpu_us / w(r).pkts)) : null) },
  { name: 'projected subscribers at 100% of the core', get: (r) => (w(r) && w(r).pkts ? Math.round((1e6 / (w(r).server_cpu_us / w(r).pkts)) / (w(r).pkts / w(r).seconds / r.best.size)) : null) },
  { name: 'RSS per subscriber (KiB)', get: (r) => (w(r) ? (w(r).rss_kb - r.base_rss_kb) / r.best.size : null),
    fmt: (v) => v.toFixed(1) },
  { name: 'p99 delay at max (ms)', get: (r) => (r.best ? r.best.report.delay_ms_p99 : null) },
  { name: 'loss at max (%)', get: (r) => (r.best ? r.best.report.loss_pct : null) },
  { name: 'load tool CPU at max (% of its core)', get: (r) => (w(r) ? w(r).tool_cpu * 100 : null),
    fmt: (v) => v.toFixed(0) },
];
log(`\n${table(rows, results)}`);
for (const r of results)
  log(`${r.server}: stopped: ${r.stop}`);

const y = results.find((r) => r.server === 'yunhui'), j = results.find((r) => r.server === 'janus');
if (y && y.best) {
  const yw = y.best.window;
  const pps = yw.pkts / yw.seconds;
  const rss = (yw.rss_kb - y.base_rss_kb) / y.best.size;
  log('\ntargets:');
  if (j && j.best)
    log(`  fan-out >= 3x Janus: ${(y.best.size / j.best.size).toFixed(2)}x`);
  log(`  >= 200,000 packets/s out on one core: ${Math.round(pps)}`);
  log(`  <= 64 KiB per subscriber: ${rss.toFixed(1)} KiB`);
}
if (o.perf) {
  for (const r of results)
    if (r.best)
      await profile(ctx, r.server, loadFor(r.best.size), log);
}
fs.writeFileSync(path.join(ctx.outDir, 'fanout.json'), JSON.stringify(results, null, 1));
process.exit(0);
