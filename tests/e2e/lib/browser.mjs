// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
//
//   import { launchBrowser, openParticipant, saveScreenshots } from './lib/browser.mjs';
//
//   const browser = await launchBrowser();
//   const a = await openParticipant(browser, srv.baseUrl, { meeting, name: 'A' });
//     options: autojoin, label, viewport {width, height}, query (more URL
//     options, e.g. {w: 320, h: 240, fps: 15, fakescreen: 1}), path ('/' or
//     '/usage.html')
//     a.page       playwright Page (own BrowserContext, camera+mic granted)
//     a.console    array of 'type: text' console lines and page errors
//     a.errors()   only the errors among them
//     a.close()    closes the context
//   await saveScreenshots([a, b], 'scenario-name');  // tests/e2e/artifacts/
//   await screenshot(a, 'scenario-step');           // one page, viewport only
//   await browser.close();
//
// Chromium's fake devices give a test pattern video and a beeping microphone.

import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ARTIFACTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-gpu',
];

export function launchBrowser(opts = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    timeout: 30000,
  });
}

/**
 * Opens the web client in a new context. With `meeting` and `name` the URL
 * carries ?m=&name=; `autojoin` (default false) adds autojoin=1.
 */
export async function openParticipant(browser, baseUrl, opts = {}) {
  const origin = new URL(baseUrl).origin;
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    permissions: ['camera', 'microphone'],
  });
  await context.grantPermissions(['camera', 'microphone'], { origin });
  // Debugging hook: a script run in every page before the client loads.
  if (process.env.YH_E2E_INIT_SCRIPT) await context.addInitScript({ path: process.env.YH_E2E_INIT_SCRIPT });
  const page = await context.newPage();
  const label = opts.label ?? opts.name ?? 'page';
  const lines = [];
  const stamp = () => new Date().toISOString().slice(11, 23);
  page.on('console', (m) => lines.push(`${stamp()} [${label}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`${stamp()} [${label}] pageerror: ${e.stack || e.message}`));
  page.on('requestfailed', (r) => lines.push(`${stamp()} [${label}] requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  const q = new URLSearchParams();
  if (opts.meeting) q.set('m', opts.meeting);
  if (opts.name) q.set('name', opts.name);
  if (opts.autojoin) q.set('autojoin', '1');
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== null) q.set(k, String(v));
  const qs = q.toString();
  const path = opts.path ?? '/';
  await page.goto(`${baseUrl}${path}${qs ? `?${qs}` : ''}`, { waitUntil: 'load', timeout: 15000 });
  return {
    label,
    page,
    context,
    console: lines,
    errors: () => lines.filter((l) => / (error|pageerror|requestfailed): /.test(l)),
    close: () => context.close().catch(() => {}),
  };
}

export async function saveScreenshots(parts, prefix) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const saved = [];
  for (const p of parts) {
    if (!p?.page || p.page.isClosed()) continue;
    const file = join(ARTIFACTS_DIR, `${prefix}-${p.label}.png`.replace(/[^\w.-]+/g, '_'));
    try {
      await p.page.screenshot({ path: file, fullPage: true, timeout: 5000 });
      saved.push(file);
    } catch (e) {
      saved.push(`(screenshot of ${p.label} failed: ${e.message})`);
    }
  }
  return saved;
}

/** Saves the viewport of one participant as artifacts/<name>.png; returns the path or null. */
export async function screenshot(part, name) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`.replace(/[^\w.-]+/g, '_'));
  try {
    await part.page.screenshot({ path: file, timeout: 5000 });
    return file;
  } catch {
    return null;
  }
}
