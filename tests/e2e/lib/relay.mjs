// yunhui-impair in front of the server's media port (docs/internals/impair.md).
//
//   import { startRelay, RELAY_IP } from './lib/relay.mjs';
//
//   const srv = await startServer({ announceIp: RELAY_IP });
//   const relay = await startRelay(srv.mediaPort);   options: seed (default 1)
//     relay.cmd('loss 5')   one control command; rejects unless {"ok":true}
//     relay.cmd('stats')    resolves with the statistics JSON
//     relay.log()           what the relay printed
//     relay.alive()
//     relay.pid, relay.controlPort
//     await relay.stop()    SIGTERM, then SIGKILL after 3 s
//
// The binary is $YUNHUI_IMPAIR_BIN or <repo>/build/yunhui-impair.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { REPO_ROOT, freeUdpPort } from './server.mjs';

export const RELAY_IP = '127.0.0.2';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function impairBinary() {
  return process.env.YUNHUI_IMPAIR_BIN || join(REPO_ROOT, 'build', 'yunhui-impair');
}

/** One control command over UDP; resolves with the parsed JSON reply. */
function relayCommand(port, cmd, timeoutMs = 1000) {
  return new Promise((res, rej) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      rej(new Error(`relay control: no reply to '${cmd}' within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      try {
        res(JSON.parse(msg.toString('utf8')));
      } catch {
        rej(new Error(`relay control: '${cmd}' answered ${msg.toString('utf8').slice(0, 200)}`));
      }
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      sock.close();
      rej(e);
    });
    sock.send(cmd, port, '127.0.0.1');
  });
}

/** Starts the relay on RELAY_IP:mediaPort in front of 127.0.0.1:mediaPort. */
export async function startRelay(mediaPort, { seed = 1 } = {}) {
  const bin = impairBinary();
  if (!existsSync(bin)) throw new Error(`relay binary ${bin} not found: build it or set YUNHUI_IMPAIR_BIN`);
  const controlPort = await freeUdpPort();
  const args = ['--listen', `${RELAY_IP}:${mediaPort}`, '--upstream', `127.0.0.1:${mediaPort}`,
    '--control', `127.0.0.1:${controlPort}`, '--seed', String(seed)];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = `$ ${bin} ${args.join(' ')}\n`;
  const append = (c) => { log = (log + c.toString('utf8')).slice(-65536); };
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);
  let exitInfo = null;
  const exited = new Promise((res) => {
    proc.once('error', (e) => { exitInfo = { error: e.message }; res(); });
    proc.once('exit', (code, signal) => { exitInfo = { code, signal }; res(); });
  });
  const relay = {
    pid: proc.pid,
    controlPort,
    log: () => log,
    alive: () => exitInfo === null,
    cmd: async (c) => {
      const r = await relayCommand(controlPort, c);
      if (!r.ok) throw new Error(`relay control: '${c}' failed: ${r.error}`);
      return r;
    },
    async stop() {
      if (exitInfo === null) {
        process.kill(proc.pid, 'SIGTERM');
        const killer = setTimeout(() => { if (exitInfo === null) process.kill(proc.pid, 'SIGKILL'); }, 3000);
        await exited;
        clearTimeout(killer);
      }
      return exitInfo;
    },
  };
  const deadline = Date.now() + 5000;
  for (;;) {
    if (exitInfo !== null) throw new Error(`relay exited at start ${JSON.stringify(exitInfo)}:\n${log}`);
    try {
      await relayCommand(controlPort, 'stats', 300);
      return relay;
    } catch (e) {
      if (Date.now() > deadline) {
        await relay.stop();
        throw new Error(`relay control did not answer within 5 s (${e.message}):\n${log}`);
      }
    }
    await sleep(100);
  }
}
