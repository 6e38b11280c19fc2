// Where the machine's CPU went during a bench/quality scenario: both
// cores' busy share every second, and the CPU time of what the bench
// started (the server, the relays, Chromium with all its processes), so a
// run on a machine busy with other work can be told from one where the
// bench itself was short of CPU.
import fs from 'node:fs';
import { CLK_TCK, cpuCoreSample } from './sys.mjs';

// utime + stime in seconds and the parent of every process.
function processTable() {
  const out = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

// CPU seconds of each group in `roots` ({name: [pid, ...]}), each pid with
// its descendants.
function treeCpu(roots) {
  const table = processTable();
  const rootOf = (pid) => {
    for (let p = pid, n = 0; p > 1 && n < 64; p = table.get(p)?.ppid ?? 0, n++)
      for (const [name, r] of Object.entries(roots))
        if (r.includes(p))
          return name;
    return null;
  };
  const sum = Object.fromEntries(Object.keys(roots).map((k) => [k, 0]));
  for (const [pid, p] of table) {
    const name = rootOf(pid);
    if (name)
      sum[name] += p.cpu;
  }
  return sum;
}

// Starts watching; the returned function stops and gives the figures:
// cores busy (mean %), seconds with both cores over 95 %, and each root's
// CPU as % of one core. Descendants that exited meanwhile are not counted.
export function cpuWatch(roots) {
  const secs = [];
  const t0 = Date.now();
  const cpu0 = treeCpu(roots);
  let prev = [0, 1].map(cpuCoreSample);
  const timer = setInterval(() => {
    const cur = [0, 1].map(cpuCoreSample);
    secs.push(cur.map((c, i) => (c.busy - prev[i].busy) / Math.max(1, c.total - prev[i].total)));
    prev = cur;
  }, 1000);
  return () => {
    clearInterval(timer);
    const cpu1 = treeCpu(roots);
    const wall = (Date.now() - t0) / 1000;
    const both = secs.map((x) => (x[0] + x[1]) / 2);
    const ours = Object.fromEntries(Object.keys(roots).map((k) => [k, Math.round((100 * (cpu1[k] - cpu0[k])) / wall)]));
    return {
      busy_mean_pct: Math.round((100 * both.reduce((a, b) => a + b, 0)) / Math.max(1, both.length)),
      saturated_s: secs.filter((x) => x[0] > 0.95 && x[1] > 0.95).length,
      seconds: secs.length,
      core_pct: ours,
    };
  };
}
