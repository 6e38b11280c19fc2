// Helpers for browser scenarios of meeting control (control-ui.test.mjs):
// a server + browser per scenario, pages joined through the web client,
// media flow measured from the pages' inbound-rtp stats, screenshots.
//
//   import { withEnv, joinPage, waitForFlow, waitForNoAudio, createMeeting, shot } from './lib/meeting.mjs';
//
//   await withEnv('press', { adminKey: 'k' }, async (env) => {
//     const m = await createMeeting(env, { title: 'Press', publish: 'speakers' });
//     const host = await joinPage(env, { meeting: m.number, name: 'Host', token: m.hostToken });
//     await shot(env, host, 'press-1-joined');       // artifacts/press-1-joined-Host.png
//     await waitForFlow(host, ['Guest']);              // video frames and audio packets rising
//   });
//
// env: {srv, browser, parts, notes, adminKey}. On failure withEnv saves
// screenshots of every page and prints the server log and the consoles.

import { randomInt } from 'node:crypto';
import { launchBrowser, openParticipant, saveScreenshots, screenshot } from './browser.mjs';
import { startServer } from './server.mjs';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Camera options that keep six pages cheap on two cores. */
export const SMALL_VIDEO = { w: 320, h: 240, fps: 15 };
export const PHONE = { width: 390, height: 844 };

export function meetingNumber() {
  return String(randomInt(100000000, 999999999));
}

export async function withEnv(name, opts, body) {
  const env = { name, parts: [], srv: null, browser: null, notes: [], adminKey: opts.adminKey ?? null, shots: [] };
  try {
    const args = [...(opts.serverArgs ?? [])];
    if (env.adminKey) args.push('--admin-key', env.adminKey);
    env.srv = await startServer({ args });
    env.browser = await launchBrowser({ args: opts.browserArgs ?? [] });
    await body(env);
    // Uncaught exceptions in a page fail the scenario even when it passed.
    const thrown = env.parts.flatMap((p) => p.console.filter((l) => / pageerror: /.test(l)));
    if (thrown.length) throw new Error(`uncaught errors in pages:\n${thrown.join('\n')}`);
    for (const p of env.parts) {
      const errs = p.errors().filter((l) => !/requestfailed|Failed to load resource/.test(l));
      if (errs.length) env.notes.push(`${p.label}: ${errs.length} console errors, first: ${errs.slice(0, 2).join(' | ')}`);
    }
    for (const n of env.notes) console.log(`note: ${n}`);
    if (process.env.YH_E2E_VERBOSE) console.log(`---- server log tail:\n${env.srv.logTail(200)}`);
  } catch (err) {
    const shots = await saveScreenshots(env.parts, `${name}-failed`).catch((e) => [`(screenshots failed: ${e.message})`]);
    const lines = [`---- ${name} failed: ${err.message}`];
    if (env.notes.length) lines.push('---- notes', ...env.notes);
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
            self: window.__yh?.client?.self,
            meeting: window.__yh?.client?.meeting,
            layout: window.__yh?.layout?.(),
            inbound: (await window.__yh?.inboundStats())?.map((s) => `${s.participantName}/${s.source}/${s.kind}:${s.framesDecoded}f/${s.packetsReceived}p`),
          }));
          lines.push(`---- state of ${p.label}: ${JSON.stringify(info)}`);
        }
      } catch (e) {
        lines.push(`(state of ${p.label} unavailable: ${e.message})`);
      }
    }
    lines.push('---- screenshots:', ...shots);
    console.error(lines.join('\n'));
    throw err;
  } finally {
    for (const p of env.parts) await p.close();
    await env.browser?.close().catch(() => {});
    await env.srv?.stop();
  }
}

/** POST /api/meetings with the admin key; resolves with {number, hostToken, speakerToken, ...}. */
export async function createMeeting(env, body) {
  const res = await fetch(`${env.srv.baseUrl}/api/meetings`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/meetings ${JSON.stringify(body)}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/**
 * Opens the web client for `name` with ?autojoin=1 and waits until it is
 * joined (or `until` names another state, e.g. 'waiting').
 */
export async function joinPage(env, { meeting, name, token, query = {}, viewport, until = 'joined' }) {
  const p = await openParticipant(env.browser, env.srv.baseUrl, {
    meeting,
    name,
    autojoin: true,
    viewport,
    query: { ...SMALL_VIDEO, ...(token ? { token } : {}), ...query },
  });
  env.parts.push(p);
  await waitState(p, until);
  return p;
}

export async function waitState(p, want, timeout = 15000) {
  try {
    await p.page.waitForFunction((w) => window.__yh?.state === w, want, { timeout, polling: 100 });
  } catch {
    const got = await p.page.evaluate(() => ({ state: window.__yh?.state, err: document.querySelector('#join-error')?.textContent, banner: document.querySelector('#banner-text')?.textContent }));
    throw new Error(`${p.label}: state ${JSON.stringify(got)}, expected '${want}' within ${timeout} ms`);
  }
}

/** Waits for `fn(arg)` evaluated in the page to be truthy; the error names `what`. */
export async function waitPage(p, fn, arg, what, timeout = 15000) {
  try {
    return await p.page.waitForFunction(fn, arg, { timeout, polling: 200 });
  } catch {
    const layout = await p.page.evaluate(() => window.__yh?.layout?.()).catch(() => null);
    throw new Error(`${p.label}: ${what} not seen within ${timeout} ms; layout ${JSON.stringify(layout)}`);
  }
}

/** inbound stats of `p` keyed by `${name}/${source}` (camera, microphone, screen). */
export async function inbound(p) {
  const list = await p.page.evaluate(() => window.__yh.inboundStats());
  const out = {};
  for (const s of list) {
    if (!s.participantName) continue; // an inactive m-section
    const key = `${s.participantName}/${s.source ?? s.kind}`;
    if (!out[key] || s.packetsReceived > out[key].packetsReceived) out[key] = s;
  }
  return out;
}

/** Per name: video frames decoded and audio packets received over `gapMs`. */
export async function sampleFlow(p, names, gapMs = 1500) {
  const a = await inbound(p);
  await sleep(gapMs);
  const b = await inbound(p);
  const flow = {};
  const delta = (k, f) => (b[k] ? b[k][f] - (a[k]?.[f] ?? 0) : 0);
  for (const n of names) {
    flow[n] = {
      frames: delta(`${n}/camera`, 'framesDecoded'),
      width: b[`${n}/camera`]?.frameWidth ?? 0,
      audioPackets: delta(`${n}/microphone`, 'packetsReceived'),
      screenFrames: delta(`${n}/screen`, 'framesDecoded'),
      screenWidth: b[`${n}/screen`]?.frameWidth ?? 0,
    };
  }
  return flow;
}

/** Polls until each name's camera video and microphone audio flow on `p`. */
export async function waitForFlow(p, names, { timeout = 20000, audio = true, video = true } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await sampleFlow(p, names, 1000);
    const ok = names.every((n) => (!video || (last[n].frames > 0 && last[n].width > 0)) && (!audio || last[n].audioPackets > 0));
    if (ok) return last;
    if (Date.now() > deadline) throw new Error(`${p.label}: media of ${names.join(', ')} not flowing within ${timeout} ms: ${JSON.stringify(last)}`);
  }
}

/** Polls until none of `names` has audio packets (and, with video, frames) rising on `p`. */
export async function waitForNoFlow(p, names, { timeout = 8000, video = false } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await sampleFlow(p, names, 1000);
    const quiet = names.every((n) => last[n].audioPackets === 0 && (!video || last[n].frames === 0));
    if (quiet) return last;
    if (Date.now() > deadline) throw new Error(`${p.label}: ${video ? 'media' : 'audio'} of ${names.join(', ')} still flowing after ${timeout} ms: ${JSON.stringify(last)}`);
  }
}

/** Screenshot of one page as artifacts/<step>-<label>.png (kept when passing too). */
export async function shot(env, p, step) {
  const f = await screenshot(p, `${step}-${p.label}`);
  if (f) env.shots.push(f);
  return f;
}

/** Clicks a button of the host's people panel: in the list of `section` for `name`. */
export async function clickPersonAction(p, { section = '#people-list', name, action }) {
  await p.page.evaluate(() => window.__yh.openPanel('people'));
  const li = p.page.locator(`${section} li.person[data-name="${name}"]`).first();
  if (section === '#people-list') {
    const menu = li.locator(`[data-action="${action}"]`);
    if (!(await menu.count())) await li.locator('.person-more').click();
  }
  await li.locator(`[data-action="${action}"]`).first().click();
}
