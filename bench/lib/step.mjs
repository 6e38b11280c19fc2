// One bench step: a fresh server pinned to SERVER_CORE in the namespace,
// one `yunhui-term --load` run pinned to LOAD_CORE in the host namespace,
// and samples every 250 ms of the server's CPU time and RSS (/proc), the
// packets the server sent (host side of the veth) and the load core's
// busy time (/proc/stat).
//
// Steady-state figures come from the window of WINDOW_S seconds with the
// most packets out: it excludes the ramp (connections and DTLS handshakes)
// and the goodbyes, whatever their length.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LOAD_CORE, SERVERS, SERVER_CORE, stopChild } from './servers.mjs';
import { NICE, cpuCoreSample, hostRxPackets, procSample, sleep, udpCounters, udpDelta } from './sys.mjs';

const SAMPLE_MS = 250;

function runLoadTool(ctx, args, logFile) {
  const bin = path.join(ctx.buildDir, 'yunhui-term');
  const full = ['-n', NICE, 'taskset', '-c', String(LOAD_CORE), bin, '--load', ...args, '--json'];
  const log = fs.openSync(logFile, 'a');
  fs.writeSync(log, `\n$ nice ${full.join(' ')}\n`);
  const child = spawn('nice', full, { stdio: ['ignore', 'pipe', log] });
  fs.closeSync(log);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.done = new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
  return child;
}

function parseReport(out) {
  const start = out.indexOf('{');
  if (start < 0)
    return null;
  try {
    return JSON.parse(out.slice(start));
  } catch {
    return null;
  }
}

// The WINDOW_S-second span of samples with the most packets out.
function bestWindow(samples, windowS) {
  const span = Math.max(1, Math.round((windowS * 1000) / SAMPLE_MS));
  let best = null;
  for (let i = 0; i + span < samples.length; i++) {
    const a = samples[i], b = samples[i + span];
    if (!a.srv || !b.srv || !a.tool || !b.tool)
      continue;
    const pkts = b.rx - a.rx;
    if (!best || pkts > best.pkts) {
      const rss = Math.max(...samples.slice(i, i + span + 1).map((s) => (s.srv ? s.srv.rss_kb : 0)));
      best = {
        seconds: (b.t - a.t) / 1000, pkts,
        server_cpu_us: b.srv.cpu_us - a.srv.cpu_us,
        load_core_busy: (b.core.busy - a.core.busy) / Math.max(1, b.core.total - a.core.total),
        tool_cpu: (b.tool.cpu_us - a.tool.cpu_us) / 1e6 / ((b.t - a.t) / 1000),
        rss_kb: rss,
      };
    }
  }
  return best;
}

// Runs one step; returns the load tool's report plus the server figures.
export async function runStep(ctx, serverKey, load) {
  const srv = SERVERS[serverKey];
  const server = await srv.start(ctx);
  const idle = procSample(server.pid);
  const args = [...srv.loadArgs(),
    '--publishers', String(load.publishers), '--subscribers', String(load.subscribers),
    '--meetings', String(load.meetings), '--duration', String(load.duration),
    '--ramp', String(load.ramp), '--video-kbps', String(ctx.videoKbps)];
  const udp0 = { host: udpCounters(false), ns: udpCounters(true) };
  const tool = runLoadTool(ctx, args, path.join(ctx.outDir, `load-${serverKey}.log`));
  const samples = [];
  let running = true;
  tool.done.then(() => { running = false; });
  // Bounded: ramp + duration + goodbyes, with a generous margin.
  const limitMs = (load.subscribers + load.publishers) / load.ramp * 1000 + load.duration * 1000 + 30000;
  const t0 = Date.now();
  while (running && Date.now() - t0 < limitMs) {
    samples.push({ t: Date.now(), srv: procSample(server.pid), rx: hostRxPackets(),
                   core: cpuCoreSample(LOAD_CORE), tool: procSample(tool.pid) });
    if (load.onSample)
      await load.onSample(server.pid, Date.now() - t0);
    await sleep(SAMPLE_MS);
  }
  if (running) {
    try { process.kill(tool.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  const { out } = await tool.done;
  const udp = { tool: udpDelta(udp0.host, udpCounters(false)), server: udpDelta(udp0.ns, udpCounters(true)) };
  await stopChild(server);
  const report = parseReport(out);
  const win = bestWindow(samples, load.window);
  return {
    server: serverKey, load, report, window: win, idle_rss_kb: idle ? idle.rss_kb : 0, udp,
    threads: samples.reduce((m, s) => Math.max(m, s.srv ? s.srv.threads : 0), 0),
    timed_out: running,
    server_core: SERVER_CORE,
  };
}

// Whether a step held: everyone connected, loss and delay within bounds.
export function stepVerdict(r, { maxLoss = 1, maxP99 = 50 } = {}) {
  const rep = r.report;
  if (!rep)
    return { ok: false, why: 'no report from the load tool' };
  if (rep.failed > 0 || rep.connected < rep.publishers + rep.subscribers)
    return { ok: false, why: `${rep.failed} failed, ${rep.connected} connected` };
  if (rep.streams_received < rep.streams_expected)
    return { ok: false, why: `streams ${rep.streams_received}/${rep.streams_expected}` };
  if (rep.loss_pct > maxLoss)
    return { ok: false, why: `loss ${rep.loss_pct}%` };
  if (rep.delay_ms_p99 === null || rep.delay_ms_p99 > maxP99)
    return { ok: false, why: `p99 delay ${rep.delay_ms_p99} ms` };
  return { ok: true, why: '' };
}

// The load tool used (nearly) all of its core: the figure is the tool's
// limit, not the server's. (The core's own busy time also counts other
// processes of the machine; the tool's CPU time is what decides.)
export function toolBound(r) {
  const rep = r.report, t = r.udp && r.udp.tool;
  // Or its sockets overflowed: it did not read in time what the server sent.
  const toolDrops = t && rep && t.rcvbuf > 0.005 * Math.max(1, rep.packets_received);
  return (!!r.window && r.window.tool_cpu > 0.85) || !!toolDrops;
}

const drops = (r) => r.udp && r.udp.tool && r.udp.server &&
  r.udp.tool.rcvbuf + r.udp.server.rcvbuf + r.udp.server.sndbuf > 0;
const pct = (v) => (v === undefined ? '-' : (v * 100).toFixed(0));

export function fmtStep(r) {
  const rep = r.report || {};
  const w = r.window || {};
  const pps = w.seconds ? Math.round(w.pkts / w.seconds) : 0;
  const us = w.pkts ? (w.server_cpu_us / w.pkts).toFixed(2) : '-';
  return `${r.server.padEnd(6)} pubs ${r.load.publishers} subs ${r.load.subscribers} ` +
    `meetings ${r.load.meetings}: connected ${rep.connected}/${(rep.publishers || 0) + (rep.subscribers || 0)} ` +
    `loss ${rep.loss_pct}% p99 ${rep.delay_ms_p99} ms | out ${pps} pkt/s, ${us} us/pkt, ` +
    `server cpu ${w.seconds ? ((w.server_cpu_us / 1e6 / w.seconds) * 100).toFixed(0) : '-'}%, ` +
    `tool ${pct(w.tool_cpu)}% (its core ${pct(w.load_core_busy)}% busy), ` +
    `rss ${w.rss_kb ? (w.rss_kb / 1024).toFixed(1) : '-'} MiB` +
    (drops(r) ? ` | UDP receive-buffer drops: tool side ${r.udp.tool.rcvbuf}, server side ${r.udp.server.rcvbuf}` +
                `, server send-buffer errors ${r.udp.server.sndbuf}` : '');
}
