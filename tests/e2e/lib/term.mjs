// yunhui-term for end-to-end tests: run it to the end, or start it with a
// stats file to read its figures while it runs.
//
//   import { runTerm, startTerm, streamOf } from './lib/term.mjs';
//   const r = await runTerm(['--server', srv.wsUrl, '--meeting', m, '--json', '--duration', '5']);
//     r.code, r.stdout, r.stderr, r.json (the --json report, or null)
//   const t = startTerm([...same...]);   // adds --stats-file <temp>
//     t.latest()    the last per-second report line (parsed), or null
//     await t.done  the result as runTerm's
//     t.kill()      SIGKILL (by pid)
//   streamOf(report, participantId, 'video')  a stream of the report
//
// The binary is $YUNHUI_TERM_BIN or <repo>/build/yunhui-term.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { REPO_ROOT } from './server.mjs';

export function termBinary() {
  return process.env.YUNHUI_TERM_BIN || join(REPO_ROOT, 'build', 'yunhui-term');
}

function spawnTerm(args, timeoutMs) {
  const bin = termBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: run 'make build' or set YUNHUI_TERM_BIN`);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => { stdout += c; });
  proc.stderr.on('data', (c) => { stderr += c; });
  const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      clearTimeout(killer);
      let json = null;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : null;
      } catch {
        json = null;
      }
      resolve({ code, signal, stdout, stderr, json, pid: proc.pid });
    });
  });
  return { proc, done };
}

/** Runs yunhui-term to its end; resolves with {code, signal, stdout, stderr, json}. */
export function runTerm(args, { timeoutMs = 40000 } = {}) {
  return spawnTerm(args, timeoutMs).done;
}

/** Starts yunhui-term with a stats file whose last line latest() reads. */
export function startTerm(args, { timeoutMs = 40000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'yunhui-term-'));
  const statsFile = join(dir, 'stats.ndjson');
  const { proc, done } = spawnTerm([...args, '--stats-file', statsFile], timeoutMs);
  let last = null;
  return {
    proc,
    pid: proc.pid,
    statsFile,
    done: done.then((r) => {
      rmSync(dir, { recursive: true, force: true });
      return r;
    }),
    latest() {
      let text = '';
      try {
        text = readFileSync(statsFile, 'utf8');
      } catch {
        return last;
      }
      const lines = text.split('\n').filter((l) => l.startsWith('{'));
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          last = JSON.parse(lines[i]);
          break;
        } catch {
          // a line being written: take the one before
        }
      }
      return last;
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** The current stream of `kind` from participant `pid` in a report. */
export function streamOf(report, pid, kind) {
  const all = (report?.streams ?? []).filter((s) => s.participant === pid && s.kind === kind);
  return all.find((s) => s.current) ?? all[all.length - 1];
}

export function describeTerm(r) {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstderr:\n${r.stderr.slice(-2000)}\nstdout:\n${r.stdout.slice(0, 3000)}`;
}
