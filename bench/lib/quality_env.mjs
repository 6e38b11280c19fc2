// The network and processes of bench/quality: its own namespace (so it can
// run while bench/fanout holds `yhbench`), the server under test inside it,
// and yunhui-impair relays in the host namespace in front of the server's
// media ports.
//
//   host namespace                            namespace yhquality
//   Chromium pages ──UDP──> relay 198.18.2.1:P ──veth──> server 198.18.2.2:P
//        └──────── HTTP (signaling) ─────────────veth──> 198.18.2.2:8080/8088
//
// The server announces only the relay's address (Yunhui --announce-ip,
// Janus nat_1_1_mapping), so every media packet crosses a relay; signaling
// does not. Everything started here is stopped by PID at exit, also on
// Ctrl-C or an error.
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './servers.mjs';
import { sleep, startPinned, stopChild, useNetwork, waitHttp } from './sys.mjs';

export const NETNS = 'yhquality';
export const RELAY_ADDR = '198.18.2.1'; // host side of the veth (RFC 2544 range)
export const NS_ADDR = '198.18.2.2';
export const YUNHUI_HTTP = 8080;
export const YUNHUI_MEDIA = 40000;
export const JANUS_HTTP = 8088;
export const JANUS_PORT_MIN = 20000; // rtp_port_range, one relay per port
const CONTROL_BASE = 47100; // relay control ports on 127.0.0.1

// The namespace, exit cleanup and processes are bench/lib/sys.mjs's, with
// this network; processes run unpinned (the pages, relays and server share
// both cores).
useNetwork({ netns: NETNS, hostIf: 'yhq0', nsIf: 'yhq1', hostAddr: RELAY_ADDR, nsAddr: NS_ADDR });

// ---- servers ---------------------------------------------------------------

async function startYunhui(ctx, logDir) {
  const data = path.join(logDir, 'yunhui-data');
  fs.mkdirSync(data, { recursive: true });
  const child = startPinned({
    cmd: path.join(ctx.buildDir, 'yunhui'), netns: true, logFile: path.join(logDir, 'yunhui.log'),
    args: ['--http-bind', NS_ADDR, '--http-port', String(YUNHUI_HTTP), '--https-port', '0',
           '--media-bind', NS_ADDR, '--media-port', String(YUNHUI_MEDIA), '--announce-ip', RELAY_ADDR,
           '--web-root', path.join(REPO, 'web'), '--data-dir', data, '--log-level', process.env.YUNHUI_LOG_LEVEL || 'warn'],
  });
  await waitHttp(`http://${NS_ADDR}:${YUNHUI_HTTP}/healthz`, child);
  return { child, mediaPorts: [YUNHUI_MEDIA], baseUrl: `http://${NS_ADDR}:${YUNHUI_HTTP}` };
}

// bench/janus/quality/janus.jcfg.in plus the VideoRoom and HTTP transport
// configurations the other benches use.
function writeJanusConfig(dir, ports) {
  fs.mkdirSync(dir, { recursive: true });
  const fill = (text) => text.replaceAll('@CONFDIR@', dir).replaceAll('@ADDR@', NS_ADDR)
    .replaceAll('@RELAY_ADDR@', RELAY_ADDR)
    .replaceAll('@PORT_RANGE@', `${JANUS_PORT_MIN}-${JANUS_PORT_MIN + ports - 1}`);
  const src = path.join(REPO, 'bench/janus');
  fs.writeFileSync(path.join(dir, 'janus.jcfg'), fill(fs.readFileSync(path.join(src, 'quality/janus.jcfg.in'), 'utf8')));
  for (const f of ['janus.plugin.videoroom.jcfg.in', 'janus.transport.http.jcfg.in'])
    fs.writeFileSync(path.join(dir, f.slice(0, -3)), fill(fs.readFileSync(path.join(src, f), 'utf8')));
}

async function startJanus(ctx, logDir) {
  const conf = path.join(logDir, 'janus-conf');
  writeJanusConfig(conf, ctx.janusPorts);
  const child = startPinned({
    cmd: 'janus', netns: true, logFile: path.join(logDir, 'janus.log'),
    args: ['-F', conf, '-C', path.join(conf, 'janus.jcfg'), '-o'],
  });
  await waitHttp(`http://${NS_ADDR}:${JANUS_HTTP}/janus/info`, child);
  const mediaPorts = [];
  for (let i = 0; i < ctx.janusPorts; i++)
    mediaPorts.push(JANUS_PORT_MIN + i);
  return { child, mediaPorts, apiUrl: `http://${NS_ADDR}:${JANUS_HTTP}/janus` };
}

export const SERVER_NAMES = { yunhui: 'Yunhui', janus: 'Janus' };

export function startServer(ctx, key, logDir) {
  return key === 'janus' ? startJanus(ctx, logDir) : startYunhui(ctx, logDir);
}

// ---- relays ----------------------------------------------------------------

function control(port, cmd, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`relay control ${port}: no reply to '${cmd}'`));
    }, timeoutMs);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      try {
        resolve(JSON.parse(msg.toString('utf8')));
      } catch {
        reject(new Error(`relay control ${port}: '${cmd}' answered ${msg.toString('utf8').slice(0, 200)}`));
      }
    });
    sock.send(cmd, port, '127.0.0.1');
  });
}

// One yunhui-impair per media port, all driven together: `cmd` applies a
// control command to every relay and resolves when all have answered.
export async function startRelays(ctx, ports, logDir, seed) {
  const bin = path.join(ctx.buildDir, 'yunhui-impair');
  const relays = ports.map((port, i) => ({
    port, controlPort: CONTROL_BASE + i,
    child: startPinned({
      cmd: bin, netns: false, logFile: path.join(logDir, `relay-${port}.log`),
      args: ['--listen', `${RELAY_ADDR}:${port}`, '--upstream', `${NS_ADDR}:${port}`,
             '--control', `127.0.0.1:${CONTROL_BASE + i}`, '--seed', String(seed + i)],
    }),
  }));
  const group = {
    relays,
    async cmd(c) {
      const replies = await Promise.all(relays.map((r) => control(r.controlPort, c)));
      const bad = replies.find((r) => !r.ok);
      if (bad)
        throw new Error(`relay control '${c}': ${bad.error}`);
      return replies;
    },
    // Totals over all relays of the stats that say where packets went.
    async stats() {
      const replies = await Promise.all(relays.map((r) => control(r.controlPort, 'stats')));
      const sum = { clients: 0, up: {}, down: {} };
      for (const r of replies) {
        sum.clients += r.clients;
        for (const dir of ['up', 'down'])
          for (const k of ['in', 'out', 'bytes_out', 'drop_loss', 'drop_burst', 'drop_queue', 'drop_pool', 'drop_send'])
            sum[dir][k] = (sum[dir][k] || 0) + r[dir][k];
      }
      return sum;
    },
    async stop() {
      await Promise.all(relays.map((r) => stopChild(r.child)));
    },
  };
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await Promise.all(relays.map((r) => control(r.controlPort, 'stats', 300)));
      return group;
    } catch (e) {
      if (Date.now() > deadline || relays.some((r) => r.child.exitCode !== null)) {
        await group.stop();
        throw new Error(`relays did not start (${e.message}); logs in ${logDir}`);
      }
    }
    await sleep(100);
  }
}
