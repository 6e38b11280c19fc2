// ICE restart and a client whose address changes (docs/protocol.md "ICE
// restart"): a terminal moves both its connections to new local UDP ports
// mid-call (a new 5-tuple), once keeping its ICE credentials and once with
// an ICE restart, and its media must resume at the other participant
// within 2 s; a Chromium page restarts ICE on both of its connections and
// goes on sending and receiving.
// Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/icerestart.test.mjs

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';

import { launchBrowser, openParticipant } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { describeTerm, runTerm, startTerm, streamOf } from './lib/term.mjs';

const TEST_TIMEOUT_MS = 90000;
const MAX_GAP_MS = 2000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const meetingNumber = () => String(randomInt(100000000, 999999999));
const SMALL = ['--width', '320', '--height', '240', '--fps', '30', '--video-kbps', '300'];

async function withServer(body) {
  const srv = await startServer();
  try {
    await body(srv);
  } catch (err) {
    console.error(`---- server log tail:\n${srv.logTail(60)}`);
    throw err;
  } finally {
    await srv.stop();
  }
}

/** Mover and peer publish to each other; the mover changes ports at 5 s. */
async function moveOnce(srv, restart) {
  const meeting = meetingNumber();
  const common = ['--server', srv.wsUrl, '--meeting', meeting, '--json', '--quiet', ...SMALL];
  const peer = startTerm([...common, '--name', 'Peer', '--duration', '14']);
  await sleep(700);
  const mover = await runTerm([...common, '--name', 'Mover', '--duration', '11', '--test-rebind', '5',
    ...(restart ? ['--test-ice-restart'] : [])]);
  const peerResult = await peer.done;
  assert.equal(mover.code, 0, describeTerm(mover));
  assert.equal(peerResult.code, 0, describeTerm(peerResult));
  const rebind = mover.json.test?.rebind;
  assert.ok(rebind && rebind.result === 'ok' && rebind.ice_restart === restart, JSON.stringify(mover.json.test));
  assert.notEqual(rebind.new_port, rebind.old_port);
  // What the peer received from the mover, and the mover from the peer:
  // both directions crossed the move.
  const up = streamOf(peerResult.json, mover.json.self, 'video');
  const down = streamOf(mover.json, peerResult.json.self, 'video');
  for (const [what, s] of [['peer <- mover', up], ['mover <- peer', down]]) {
    assert.ok(s, `${what}: no video stream`);
    // 11 s at 30 fps with the move in the middle: most frames arrive.
    assert.ok(s.frames_decoded > 200, `${what}: ${JSON.stringify(s)}`);
    assert.ok(s.max_frame_gap_ms <= MAX_GAP_MS, `${what}: media resumed after ${s.max_frame_gap_ms} ms`);
  }
  return { up: up.max_frame_gap_ms, down: down.max_frame_gap_ms };
}

test('a terminal moving to a new UDP port resumes within 2 s, with and without ICE restart',
  { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(async (srv) => {
      const keep = await moveOnce(srv, false);
      const restart = await moveOnce(srv, true);
      assert.match(srv.log(), /ICE restart of the publish connection/);
      assert.match(srv.log(), /ICE restart of the receiving connection asked/);
      console.log(`metric: rebind_gap_up_ms=${keep.up}, rebind_gap_down_ms=${keep.down}, ` +
        `ice_restart_gap_up_ms=${restart.up}, ice_restart_gap_down_ms=${restart.down}`);
    });
  });

/** The browser's ice-ufrag of a description of one of its connections. */
async function ufrags(page) {
  return page.evaluate(() => {
    const c = window.__yh.client;
    const get = (d) => /a=ice-ufrag:(\S+)/.exec(d?.sdp ?? '')?.[1] ?? null;
    return {
      pubLocal: get(c.pubPc?.localDescription), pubRemote: get(c.pubPc?.remoteDescription),
      subLocal: get(c.subPc?.localDescription), subRemote: get(c.subPc?.remoteDescription),
      pubIce: c.pubPc?.iceConnectionState, subIce: c.subPc?.iceConnectionState,
    };
  });
}

async function framesOf(page, name) {
  const list = await page.evaluate(() => window.__yh.inboundStats());
  return list.find((s) => s.participantName === name && s.kind === 'video')?.framesDecoded ?? 0;
}

test('a browser restarts ICE on both connections and keeps sending and receiving',
  { timeout: TEST_TIMEOUT_MS }, async () => {
    await withServer(async (srv) => {
      const meeting = meetingNumber();
      const browser = await launchBrowser();
      let page = null;
      const term = startTerm(['--server', srv.wsUrl, '--meeting', meeting, '--name', 'Term', '--json',
        '--quiet', '--duration', '25', ...SMALL]);
      try {
        page = await openParticipant(browser, srv.baseUrl, { meeting, name: 'Web', autojoin: true,
          query: { w: 320, h: 240, fps: 15 } });
        await page.page.waitForFunction(() => window.__yh?.state === 'joined', null, { timeout: 15000 });
        // Both directions flow before the restart.
        const deadline = Date.now() + 15000;
        let webId = null;
        while (Date.now() < deadline) {
          webId = await page.page.evaluate(() => window.__yh.client.self?.id);
          const t = term.latest();
          if ((await framesOf(page.page, 'Term')) > 20 && (streamOf(t, webId, 'video')?.frames_decoded ?? 0) > 20) break;
          await sleep(300);
        }
        const before = await ufrags(page.page);
        assert.ok(before.pubRemote && before.subRemote, JSON.stringify(before));
        const termBefore = streamOf(term.latest(), webId, 'video');
        const webBefore = await framesOf(page.page, 'Term');
        assert.ok(termBefore?.frames_decoded > 20 && webBefore > 20,
          `no media before the restart: term ${JSON.stringify(termBefore)}, web ${webBefore}`);

        await page.page.evaluate(async () => {
          const c = window.__yh.client;
          await c.restartIce('publisher');
          await c.restartIce('subscriber');
        });
        // The subscriber restart completes with the server's next offer.
        let after = null;
        const until = Date.now() + 10000;
        while (Date.now() < until) {
          after = await ufrags(page.page);
          if (after.subRemote !== before.subRemote && after.subLocal !== before.subLocal &&
              after.pubIce === 'connected' && after.subIce === 'connected') break;
          await sleep(200);
        }
        // New credentials on both sides of both connections.
        assert.notEqual(after.pubLocal, before.pubLocal, JSON.stringify({ before, after }));
        assert.notEqual(after.pubRemote, before.pubRemote, JSON.stringify({ before, after }));
        assert.notEqual(after.subLocal, before.subLocal, JSON.stringify({ before, after }));
        assert.notEqual(after.subRemote, before.subRemote, JSON.stringify({ before, after }));
        await sleep(3000);
        const termAfter = streamOf(term.latest(), webId, 'video');
        const webAfter = await framesOf(page.page, 'Term');
        // 3 s at 15 and 30 fps: well over 20 frames each way.
        assert.ok(termAfter.frames_decoded > termBefore.frames_decoded + 20,
          `the terminal stopped decoding the browser: ${JSON.stringify(termAfter)}`);
        assert.ok(webAfter > webBefore + 20, `the browser stopped decoding the terminal: ${webBefore} -> ${webAfter}`);
        assert.ok(termAfter.max_frame_gap_ms <= MAX_GAP_MS, JSON.stringify(termAfter));
        assert.deepEqual(page.errors(), []);
        console.log(`metric: browser_ice_restart_gap_ms=${termAfter.max_frame_gap_ms}, ` +
          `browser_frames_after=${webAfter - webBefore}, term_frames_after=${termAfter.frames_decoded - termBefore.frames_decoded}`);
      } catch (err) {
        if (page) console.error(`---- browser console:\n${page.console.slice(-40).join('\n')}`);
        throw err;
      } finally {
        term.kill();
        await term.done;
        await page?.close();
        await browser.close().catch(() => {});
      }
    });
  });
