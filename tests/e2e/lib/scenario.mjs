// One browser scenario: a server (optionally behind yunhui-impair), a
// headless Chromium, pages joined through the web client; on failure
// everything needed to read what happened; everything stopped at the end.
//
//   import { joinMeeting, runScenario } from './lib/scenario.mjs';
//
//   await runScenario('quality', { relay: true, fmtSamples }, async (env) => {
//     const a = await joinMeeting(env, meeting, 'A', { w: 640, h: 360 });
//     env.samples.push(...);  env.phase = 'capped';  env.notes.push('...');
//     await env.relay.cmd('loss 5');
//   });
//
// options:
//   relay        start lib/relay.mjs's relay in front of the media port (the
//                server then announces RELAY_IP in its candidates)
//   serverArgs   appended to the server's command line
//   browserArgs  appended to Chromium's
//   fmtSamples   (samples) => text: how env.samples are printed
//
// env: {parts, srv, relay, browser, notes, samples, phase}. Notes are
// printed when the body passed too; YH_E2E_VERBOSE=1 adds the samples and
// the server log tail (a long one when serverArgs were given, e.g.
// '--log-level debug'). On failure: notes, samples, the relay's log and
// statistics, the server log tail, each page's console and state, and
// screenshots in tests/e2e/artifacts/.

import { launchBrowser, openParticipant, saveScreenshots } from './browser.mjs';
import { RELAY_IP, startRelay } from './relay.mjs';
import { startServer } from './server.mjs';

/**
 * Opens the web client for `name` in `meeting` with ?autojoin=1 and waits
 * until it joined; rejects when it ends in 'error' or 'left' instead.
 */
export async function joinMeeting(env, meeting, name, query, viewport) {
  const p = await openParticipant(env.browser, env.srv.baseUrl, { meeting, name, autojoin: true, query, viewport });
  env.parts.push(p);
  await p.page.waitForFunction(() => ['joined', 'error', 'left'].includes(window.__yh?.state), null, { timeout: 10000 });
  const state = await p.page.evaluate(() => window.__yh.state);
  if (state !== 'joined') throw new Error(`${name} could not join meeting ${meeting}: state ${state}`);
  return p;
}

export async function runScenario(name, opts, body) {
  const { relay = false, serverArgs = [], browserArgs = [], fmtSamples = null } = opts;
  const env = { parts: [], srv: null, relay: null, browser: null, notes: [], samples: [], phase: 'setup' };
  try {
    env.srv = await startServer({ args: serverArgs, announceIp: relay ? RELAY_IP : undefined });
    if (relay) env.relay = await startRelay(env.srv.mediaPort);
    env.browser = await launchBrowser({ args: browserArgs });
    await body(env);
    for (const n of env.notes) console.log(`note: ${n}`);
    if (process.env.YH_E2E_VERBOSE) {
      if (fmtSamples && env.samples.length) console.log(`---- samples:\n${fmtSamples(env.samples)}`);
      console.log(`---- server log tail:\n${env.srv.logTail(serverArgs.length ? 3000 : 200)}`);
    }
  } catch (err) {
    console.error((await failureReport(name, env, err, fmtSamples)).join('\n'));
    throw err;
  } finally {
    for (const p of env.parts) await p.close();
    await env.browser?.close().catch(() => {});
    await env.relay?.stop();
    await env.srv?.stop();
  }
}

/** The lines printed when a scenario failed; saves the screenshots. */
async function failureReport(name, env, err, fmtSamples) {
  const shots = await saveScreenshots(env.parts, name).catch((e) => [`(screenshots failed: ${e.message})`]);
  const lines = [`---- ${name} failed: ${err.message}`];
  if (env.notes.length) lines.push('---- notes', ...env.notes);
  if (fmtSamples && env.samples.length) lines.push('---- samples', fmtSamples(env.samples));
  if (env.relay) {
    lines.push(`---- relay ${env.relay.alive() ? 'alive' : 'exited'}; log:`, env.relay.log());
    if (env.relay.alive()) lines.push(JSON.stringify(await env.relay.cmd('stats').catch((e) => e.message)));
  }
  if (env.srv) {
    lines.push(`---- server ${env.srv.alive() ? 'alive' : `exited ${JSON.stringify(env.srv.exitInfo)}`}; log tail:`);
    lines.push(env.srv.logTail(120));
  }
  for (const p of env.parts) {
    lines.push(`---- console of ${p.label} (last 30 lines):`, ...p.console.slice(-30));
    try {
      if (!p.page.isClosed()) {
        const info = await p.page.evaluate(async () => ({
          state: window.__yh?.state,
          media: window.__yh?.client?.mediaState(),
          inbound: await window.__yh?.inboundStats(),
          outbound: await window.__yh?.outboundStats(),
        }));
        lines.push(`---- state of ${p.label}: ${JSON.stringify(info)}`);
      }
    } catch (e) {
      lines.push(`(state of ${p.label} unavailable: ${e.message})`);
    }
  }
  lines.push('---- screenshots:', ...shots);
  return lines;
}
