// yunhui-term end-to-end tests: the native terminal against the real server,
// with another terminal, with headless Chromium, and in load mode.
// Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/term.test.mjs
// The binary is $YUNHUI_TERM_BIN or <repo>/build/yunhui-term. Each test
// starts its own server and stays under 60 s.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { launchBrowser, openParticipant, saveScreenshots } from './lib/browser.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 60000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function termBinary() {
  return process.env.YUNHUI_TERM_BIN || join(REPO_ROOT, 'build', 'yunhui-term');
}

function meetingNumber() {
  return String(randomInt(100000000, 999999999));
}

/** Runs yunhui-term; resolves with {code, stdout, stderr, json}. */
function runTerm(args, { timeoutMs = 40000 } = {}) {
  const bin = termBinary();
  if (!existsSync(bin)) throw new Error(`${bin} not found: run 'make build' or set YUNHUI_TERM_BIN`);
  return new Promise((resolve) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    const killer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
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
}

/** The stream of `kind` that came from participant `pid` in a single-mode report. */
function streamOf(report, pid, kind) {
  return report.streams.find((s) => s.participant === pid && s.kind === kind);
}

function describe(r) {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstderr:\n${r.stderr.slice(-3000)}\nstdout:\n${r.stdout.slice(0, 4000)}`;
}

async function withServer(body) {
  const srv = await startServer();
  try {
    await body(srv);
  } catch (err) {
    console.error(`---- server log tail:\n${srv.logTail(80)}`);
    throw err;
  } finally {
    await srv.stop();
  }
}

test('two terminals decode each other\'s video and audio', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (srv) => {
    const meeting = meetingNumber();
    const common = ['--server', srv.wsUrl, '--meeting', meeting, '--json', '--duration', '8'];
    const pa = runTerm([...common, '--name', 'TermA']);
    await sleep(500);
    const pb = runTerm([...common, '--name', 'TermB']);
    const [a, b] = await Promise.all([pa, pb]);
    for (const [label, r] of [['A', a], ['B', b]]) {
      assert.equal(r.code, 0, `terminal ${label}: ${describe(r)}`);
      assert.ok(r.json, `terminal ${label} printed no JSON: ${describe(r)}`);
      assert.equal(r.json.mode, 'single');
      assert.equal(r.json.sent.published, true);
      assert.ok(r.json.sent.video.frames > 100, `terminal ${label} sent few frames: ${describe(r)}`);
    }
    const pairs = [[a, b], [b, a]];
    for (const [me, other] of pairs) {
      const video = streamOf(me.json, other.json.self, 'video');
      const audio = streamOf(me.json, other.json.self, 'audio');
      assert.ok(video && audio, `${me.json.self} has no streams of ${other.json.self}: ${describe(me)}`);
      assert.ok(video.frames_decoded > 60, `video frames decoded: ${JSON.stringify(video)}`);
      assert.equal(video.width, 640);
      assert.equal(video.height, 480);
      assert.equal(video.lost, 0, `video loss on loopback: ${JSON.stringify(video)}`);
      assert.ok(audio.frames_decoded > 100, `audio frames decoded: ${JSON.stringify(audio)}`);
      assert.equal(audio.lost, 0, `audio loss on loopback: ${JSON.stringify(audio)}`);
      // Same host: the sender's clock is ours, so the delay is measured.
      assert.ok(video.delay_samples > 0 && video.delay_ms_mean < 500, `video delay: ${JSON.stringify(video)}`);
      console.log(`note: ${me.json.self} <- ${other.json.self}: video ${video.frames_decoded} frames ` +
        `${video.fps} fps ${video.bitrate_kbps_mean} kbps delay ${video.delay_ms_mean}/${video.delay_ms_p99} ms; ` +
        `audio ${audio.frames_decoded} frames delay ${audio.delay_ms_mean} ms`);
    }
  });
});

test('a browser and a terminal see each other', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (srv) => {
    const meeting = meetingNumber();
    const browser = await launchBrowser();
    let page = null;
    try {
      page = await openParticipant(browser, srv.baseUrl, { meeting, name: 'Browser', autojoin: true });
      await page.page.waitForFunction(() => window.__yh?.state === 'joined', null, { timeout: 15000 });
      const term = runTerm(['--server', srv.wsUrl, '--meeting', meeting, '--name', 'Term', '--json', '--duration', '14']);
      // The browser decodes the terminal's VP8 at 640x480, frames rising.
      const termVideo = async () => {
        const list = await page.page.evaluate(() => window.__yh.inboundStats());
        return list.find((s) => s.participantName === 'Term' && s.kind === 'video');
      };
      let first = null;
      let last = null;
      const deadline = Date.now() + 20000;
      while (Date.now() < deadline) {
        last = await termVideo();
        if (last && last.framesDecoded > 0) {
          if (!first) first = last;
          else if (last.framesDecoded > first.framesDecoded + 10) break;
        }
        await sleep(500);
      }
      assert.ok(first && last.framesDecoded > first.framesDecoded + 10,
        `browser does not decode the terminal's video: ${JSON.stringify(last)}`);
      assert.equal(last.frameWidth, 640);
      const r = await term;
      assert.equal(r.code, 0, describe(r));
      const video = r.json.streams.find((s) => s.kind === 'video' && s.frames_decoded > 0);
      const audio = r.json.streams.find((s) => s.kind === 'audio' && s.frames_decoded > 0);
      assert.ok(video, `the terminal decoded no video from the browser: ${describe(r)}`);
      assert.ok(audio, `the terminal decoded no audio from the browser: ${describe(r)}`);
      // The browser sends RED (RFC 2198); the terminal did not negotiate it
      // and gets each packet's primary Opus frame alone, all decodable.
      assert.equal(audio.frames_dropped, 0, `the terminal could not decode some audio: ${describe(r)}`);
      console.log(`note: browser <- term ${last.framesDecoded} frames ${last.frameWidth}x${last.frameHeight}; ` +
        `term <- browser video ${video.codec} ${video.frames_decoded} frames ${video.width}x${video.height}, ` +
        `audio ${audio.frames_decoded} frames`);
    } catch (err) {
      if (page) {
        console.error(`---- browser console:\n${page.console.slice(-40).join('\n')}`);
        await saveScreenshots([page], 'term-browser').catch(() => {});
      }
      throw err;
    } finally {
      await page?.close();
      await browser.close().catch(() => {});
    }
  });
});

test('load mode: 2 publishers, 20 subscribers, every stream received', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withServer(async (srv) => {
    const r = await runTerm(['--load', '--server', srv.wsUrl, '--publishers', '2', '--subscribers', '20',
      '--meetings', '1', '--duration', '5', '--json', '--quiet']);
    assert.equal(r.code, 0, describe(r));
    const j = r.json;
    assert.ok(j, describe(r));
    assert.equal(j.mode, 'load');
    assert.equal(j.connected, 22, describe(r));
    assert.equal(j.failed, 0);
    // 20 subscribers x 2 publishers x (audio + video), and each publisher
    // receives the other's two streams.
    assert.equal(j.streams_expected, 20 * 4 + 2 * 2);
    assert.equal(j.streams_received, j.streams_expected, describe(r));
    assert.ok(j.loss_pct < 1, `loss ${j.loss_pct}%`);
    assert.ok(j.packets_received > 1000);
    assert.ok(j.delay_samples > 0 && j.delay_ms_p99 < 500, `delay ${j.delay_ms_p50}/${j.delay_ms_p99} ms`);
    assert.deepEqual(j.errors, []);
    console.log(`note: load ${j.connected} up, ${j.streams_received}/${j.streams_expected} streams, ` +
      `${j.bitrate_kbps_in} kbps in, delay p50 ${j.delay_ms_p50} p99 ${j.delay_ms_p99} ms, cpu ${j.cpu_pct}%`);
  });
});

test('errors: one line and the documented exit code', { timeout: TEST_TIMEOUT_MS }, async () => {
  const help = await runTerm(['--help']);
  assert.equal(help.code, 0);
  for (const opt of ['--server', '--meeting', '--name', '--passcode', '--duration', '--json', '--no-video',
    '--no-audio', '--recv-only', '--width', '--height', '--fps', '--video-kbps', '--load', '--publishers',
    '--subscribers', '--meetings', '--ramp']) {
    assert.ok(help.stdout.includes(opt), `--help does not document ${opt}`);
  }
  const usage = await runTerm(['--fps', 'fast', '--meeting', '1']);
  assert.equal(usage.code, 2, describe(usage));
  assert.equal(usage.stderr.trim().split('\n').length, 1, describe(usage));

  // Nothing listens on port 1.
  const down = await runTerm(['--server', 'ws://127.0.0.1:1/ws', '--meeting', '1', '--quiet']);
  assert.equal(down.code, 3, describe(down));
  assert.match(down.stderr, /cannot reach the server/);
  assert.equal(down.stderr.trim().split('\n').length, 1, describe(down));

  await withServer(async (srv) => {
    // The server refuses the join: a meeting number outside [0-9A-Za-z_-].
    const refused = await runTerm(['--server', srv.wsUrl, '--meeting', 'no such meeting!', '--quiet']);
    assert.equal(refused.code, 4, describe(refused));
    assert.match(refused.stderr, /join refused/);
    assert.equal(refused.stderr.trim().split('\n').length, 1, describe(refused));
  });
});
