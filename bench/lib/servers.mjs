// The two servers under test, started the same way: inside the yhbench
// namespace, pinned to SERVER_CORE, fresh for every step (so nothing a
// previous step left behind, such as Janus sessions waiting for their
// timeout, costs CPU in the next).
import fs from 'node:fs';
import path from 'node:path';
import { HOST_ADDR, NS_ADDR, startPinned, stopChild, waitHttp } from './sys.mjs';

export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
const HERE = path.dirname(new URL(import.meta.url).pathname);
export const REPO = path.resolve(HERE, '../..');

const YUNHUI_HTTP_PORT = 8080;
const JANUS_HTTP_PORT = 8088;

// Writes bench/janus/*.jcfg.in into `dir` with the address filled in.
function writeJanusConfig(dir, loops) {
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(REPO, 'bench/janus');
  for (const f of fs.readdirSync(src).filter((n) => n.endsWith('.jcfg.in'))) {
    const text = fs.readFileSync(path.join(src, f), 'utf8')
      .replaceAll('@CONFDIR@', dir).replaceAll('@ADDR@', NS_ADDR)
      .replaceAll('@EVENT_LOOPS@', loops ? `event_loops = ${loops}` : '# event_loops: unset');
    fs.writeFileSync(path.join(dir, f.slice(0, -3)), text);
  }
}

export const SERVERS = {
  yunhui: {
    name: 'Yunhui',
    // Load tool arguments that point it at this server.
    loadArgs: () => ['--server', `ws://${NS_ADDR}:${YUNHUI_HTTP_PORT}/ws`],
    start(ctx) {
      const bin = path.join(ctx.buildDir, 'yunhui');
      const child = startPinned({
        cmd: bin, core: SERVER_CORE, netns: true, logFile: path.join(ctx.outDir, 'yunhui.log'),
        args: ['--http-bind', NS_ADDR, '--http-port', String(YUNHUI_HTTP_PORT),
               '--media-bind', NS_ADDR, '--media-port', '40000', '--announce-ip', NS_ADDR,
               '--log-level', 'warn',
               // The load tool opens every participant's signaling
               // connection from HOST_ADDR: exempt it from the per-address
               // limits (256 connections, 1000 messages/s by default).
               '--trusted-ip', HOST_ADDR],
      });
      return waitHttp(`http://${NS_ADDR}:${YUNHUI_HTTP_PORT}/healthz`, child).then(() => child);
    },
  },
  janus: {
    name: 'Janus',
    loadArgs: () => ['--target', 'janus', '--janus-url', `http://${NS_ADDR}:${JANUS_HTTP_PORT}/janus`],
    start(ctx) {
      const conf = path.join(ctx.outDir, 'janus-conf');
      writeJanusConfig(conf, ctx.janusLoops);
      const child = startPinned({
        cmd: 'janus', core: SERVER_CORE, netns: true, logFile: path.join(ctx.outDir, 'janus.log'),
        args: ['-F', conf, '-C', path.join(conf, 'janus.jcfg'), '-o'],
      });
      return waitHttp(`http://${NS_ADDR}:${JANUS_HTTP_PORT}/janus/info`, child).then(() => child);
    },
  },
};

export { stopChild };
