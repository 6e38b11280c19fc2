// bench/meetings: R meetings of 6 participants, everyone publishing (VP8
// ~1.5 Mbps + Opus) and receiving the 5 others, Yunhui then Janus on the
// same cores. R steps up until loss > 1%; prints the meetings held.
import fs from 'node:fs';
import path from 'node:path';
import { COMMON_HELP, janusVersion, machine, parseArgs, prepare, profile, quietness, stepServer, table }
  from './bench.mjs';

const PARTY = 6;
const FULL_STEPS = [1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 40, 48, 64];
const QUICK_STEPS = [1, 4, 8, 12, 16, 24, 32, 48];

const o = parseArgs(process.argv.slice(2), { servers: ['yunhui', 'janus'], maxMinutes: 9 });
if (o.help) {
  console.log(`Usage: bench/meetings [options]\n${COMMON_HELP}`);
  process.exit(0);
}
const steps = o.steps || (o.quick ? QUICK_STEPS : FULL_STEPS);
const duration = o.duration || (o.quick ? 6 : 10);
const ramp = o.ramp || 60;
const window = Math.max(3, Math.min(6, duration - 3));
const ctx = prepare(o);
const log = (s) => { console.log(s); fs.appendFileSync(path.join(ctx.outDir, 'meetings.txt'), `${s}\n`); };
// Loss decides; delay is reported, not a criterion here (the rule).
const loadFor = (r) => ({ publishers: PARTY * r, subscribers: 0, meetings: r, duration, ramp, window,
                          limits: { maxLoss: 1, maxP99: Infinity } });

log(`bench/meetings: ${machine()}; Janus ${janusVersion()} (event_loops ${ctx.janusLoops || "unset"}); logs in ${ctx.outDir}`);
log(`${PARTY}-party meetings, steps ${steps.join(',')}; ${duration} s each after the ramp (${ramp}/s)`);
const busy = await quietness();
log(`machine before the run: core 0 ${(busy[0] * 100).toFixed(0)}% busy, core 1 ${(busy[1] * 100).toFixed(0)}% busy` +
    (Math.max(...busy) > 0.15 ? '  WARNING: other work is running; figures will be noisy' : ''));
// Each server gets an equal, fixed share of the time budget.
const t0 = Date.now(), budget = o.maxMinutes * 60000;
const results = [];
for (const [i, key] of o.servers.entries()) {
  log(`\n${key}:`);
  const share = t0 + ((i + 1) * budget) / o.servers.length;
  const r = await stepServer(ctx, key, steps, loadFor, share, log);
  log(`  ${key}: ${r.stop}`);
  results.push(r);
}

const w = (r) => (r.best ? r.best.window : null);
const rows = [
  { name: `${PARTY}-party meetings held (loss <= 1%)`, get: (r) => (r.best ? r.best.size : 0) },
  { name: 'participants', get: (r) => (r.best ? r.best.size * PARTY : 0) },
  { name: 'packets/s out at max', get: (r) => (w(r) ? Math.round(w(r).pkts / w(r).seconds) : null) },
  { name: 'server CPU us per packet out', get: (r) => (w(r) && w(r).pkts ? w(r).server_cpu_us / w(r).pkts : null),
    fmt: (v) => v.toFixed(2) },
  { name: 'projected meetings at 100% of the core', get: (r) => (w(r) && w(r).pkts ? Math.round((1e6 / (w(r).server_cpu_us / w(r).pkts)) / (w(r).pkts / w(r).seconds / r.best.size)) : null) },
  { name: 'p99 delay at max (ms)', get: (r) => (r.best ? r.best.report.delay_ms_p99 : null) },
  { name: 'loss at max (%)', get: (r) => (r.best ? r.best.report.loss_pct : null) },
  { name: 'load tool CPU at max (% of its core)', get: (r) => (w(r) ? w(r).tool_cpu * 100 : null),
    fmt: (v) => v.toFixed(0) },
];
log(`\n${table(rows, results)}`);
for (const r of results)
  log(`${r.server}: stopped: ${r.stop}`);
if (o.perf) {
  for (const r of results)
    if (r.best)
      await profile(ctx, r.server, loadFor(r.best.size), log);
}
fs.writeFileSync(path.join(ctx.outDir, 'meetings.json'), JSON.stringify(results, null, 1));
process.exit(0);
