// Redundant audio (RFC 2198) end to end: two headless Chromium participants
// whose media crosses yunhui-impair (lib/relay.mjs). A's publisher answer
// lists red before Opus, so Chromium sends every frame again in the next
// packet; the server forwards the RED packets whole to B, whose answer kept
// red. With 5 % random loss on every leg (A's uplink and B's downlink each)
// B's receiver fills most gaps from the redundant copies: far less audio is
// concealed than is lost.
//
// Run from the repository root:
//   node --test --test-concurrency=1 tests/e2e/red.test.mjs
// YUNHUI_IMPAIR_BIN overrides the relay binary (default build/yunhui-impair).

import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';

import { joinMeeting, runScenario } from './lib/scenario.mjs';

const SCENARIO_TIMEOUT_MS = 90000;
const WARMUP_MS = 3000;
const CLEAN_MS = 6000;
const LOSS_PCT = 5;
const LOSS_MS = 15000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function join(env, meeting, name) {
  const p = await joinMeeting(env, meeting, name, { w: 320, h: 240, fps: 10, simulcast: 0 });
  // Audio is what this test is about; cameras off keep the cores free.
  await p.page.evaluate(() => window.__yh.client.setMuted('camera', true));
  return p;
}

/** The receiving side's audio inbound-rtp counters (the busiest stream). */
async function audioIn(p) {
  return p.page.evaluate(async () => {
    const pc = window.__yh.client.subPc;
    if (!pc) return null;
    const report = await pc.getStats();
    let best = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio' && (!best || s.packetsReceived > best.packetsReceived)) best = s;
    });
    if (!best) return null;
    const keys = ['packetsReceived', 'packetsLost', 'concealedSamples', 'concealmentEvents', 'totalSamplesReceived'];
    return Object.fromEntries(keys.map((k) => [k, best[k] ?? 0]));
  });
}

/** What moved between two audioIn() samples, with the loss and concealment ratios. */
function delta(a, b) {
  const d = {};
  for (const k of Object.keys(b)) d[k] = b[k] - (a?.[k] ?? 0);
  d.lossRatio = d.packetsLost / Math.max(1, d.packetsLost + d.packetsReceived);
  d.concealedRatio = d.concealedSamples / Math.max(1, d.totalSamplesReceived);
  return d;
}

const fmt = (d) => `packets=${d.packetsReceived} lost=${d.packetsLost} (${(100 * d.lossRatio).toFixed(1)}%) ` +
  `concealed=${(100 * d.concealedRatio).toFixed(2)}% gaps=${d.concealmentEvents}`;

test('redundant audio: red negotiated both ways, loss repaired from the redundant copies', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await runScenario('red', { relay: true }, async (env) => {
    const meeting = String(randomInt(100000000, 999999999));
    const a = await join(env, meeting, 'A');
    const b = await join(env, meeting, 'B');

    // The server's answer to A lists red first (libwebrtc sends RED only
    // then); its offer to B carries red, and B's answer keeps it.
    const pubAnswer = await a.page.evaluate(() => window.__yh.client.pubPc.remoteDescription.sdp);
    assert.match(pubAnswer, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF 63 111\r\n/, 'red before opus in the publisher answer');
    assert.match(pubAnswer, /a=fmtp:63 111\/111\r\n/);
    await b.page.waitForFunction(() => window.__yh.client.subPc?.localDescription?.sdp?.includes('m=audio'), null, { timeout: 15000 });
    const subOffer = await b.page.evaluate(() => window.__yh.client.subPc.remoteDescription.sdp);
    const subAnswer = await b.page.evaluate(() => window.__yh.client.subPc.localDescription.sdp);
    assert.match(subOffer, /a=rtpmap:63 red\/48000\/2\r\n/, 'the subscriber offer carries red');
    assert.match(subAnswer, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF [0-9 ]*\b63\b/, 'B keeps red in its answer');

    // Clean loopback: B hears A with next to nothing concealed.
    const deadline = Date.now() + 15000;
    let s0 = await audioIn(b);
    while (!(s0?.totalSamplesReceived > 48000)) {
      if (Date.now() > deadline) throw new Error(`B receives no audio from A: ${JSON.stringify(s0)}`);
      await sleep(500);
      s0 = await audioIn(b);
    }
    // Past the start, where the jitter buffer may still conceal a frame.
    await sleep(WARMUP_MS);
    s0 = await audioIn(b);
    await sleep(CLEAN_MS);
    const s1 = await audioIn(b);
    const clean = delta(s0, s1);
    console.log(`metric: red_clean ${fmt(clean)}`);
    assert.ok(clean.totalSamplesReceived > 48000 * (CLEAN_MS / 1000) * 0.8, `B's audio plays: ${fmt(clean)}`);
    assert.ok(clean.concealedRatio < 0.05, `little concealment on loopback: ${fmt(clean)}`);

    // 5 % loss on every leg: about 10 % of A's packets never reach B, but
    // a frame is only gone when the next packet (its copy) is lost too.
    await env.relay.cmd(`loss ${LOSS_PCT}`);
    await sleep(1000);
    const l0 = await audioIn(b);
    await sleep(LOSS_MS);
    const l1 = await audioIn(b);
    await env.relay.cmd('clear');
    const lossy = delta(l0, l1);
    console.log(`metric: red_loss${LOSS_PCT} ${fmt(lossy)}`);
    assert.ok(lossy.lossRatio > 0.04, `the relay dropped packets: ${fmt(lossy)}`);
    // Chromium counts RED copies in no statistic (fecPacketsReceived stays
    // 0), so the repair shows in what is concealed. Measured: 10.4 % lost,
    // 0.5 % concealed in 7 gaps; without RED (the server before it) 9.0 %
    // lost, 7.8 % concealed in 71 gaps.
    assert.ok(lossy.concealedRatio < lossy.lossRatio / 2, `less concealed than lost: ${fmt(lossy)}`);
    assert.ok(lossy.concealmentEvents < lossy.packetsLost / 3, `fewer gaps than lost packets: ${fmt(lossy)}`);
  });
});
