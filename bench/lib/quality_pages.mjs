// The browser side of bench/quality: headless Chromium (Debian's, through
// playwright-core as in tests/e2e), a publisher page A (960x540 fake
// camera, simulcast q/h/f) and a receiver page B, joined to Yunhui through
// its web client or to Janus's VideoRoom through the driver's REST
// signaling (quality_janus.mjs) and plain RTCPeerConnection pages. In both
// cases a collector in the page records B's inbound-rtp stats every
// sampling interval, the time and size of every video frame B decodes
// (MediaStreamTrackProcessor), and A's outbound-rtp stats per layer.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { launchBrowser, openParticipant } from '../../tests/e2e/lib/browser.mjs';
import { janusPublish, janusSubscribe } from './quality_janus.mjs';
import { NS_ADDR, YUNHUI_HTTP } from './quality_env.mjs';
import { registerPid, sleep } from './sys.mjs';

// Chromium at the same nice level as the servers and relays (the wrapper
// execs, so the PID Playwright sees is the browser's).
// The PID of our child process whose command line holds `text`, or null.
function childPid(text) {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name))
      continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text))
        return Number(name);
    } catch { /* gone meanwhile */ }
  }
  return null;
}

// `clip`: a Y4M file for the fake camera (quality_clip.mjs), or null for
// Chromium's own test pattern.
export async function launch(outDir, clip) {
  const wrapper = path.join(outDir, 'chromium-nice');
  fs.writeFileSync(wrapper, '#!/bin/sh\nexec nice -n -20 /usr/bin/chromium "$@"\n', { mode: 0o755 });
  process.env.CHROMIUM_BIN = wrapper;
  // The Yunhui client is served from the namespace's address, which is not
  // a secure context by itself (getUserMedia needs one).
  const args = [`--unsafely-treat-insecure-origin-as-secure=http://${NS_ADDR}:${YUNHUI_HTTP}`];
  if (clip)
    args.push(`--use-file-for-fake-video-capture=${clip}`);
  const browser = await launchBrowser({ args });
  // Playwright starts the wrapper as our child and leader of a new process
  // group (Chromium's processes stay in it): the group is killed at exit
  // whatever happens, and its CPU time is counted.
  const pid = childPid('chromium'); // the wrapper has exec'd Debian's script by now
  const unregister = pid ? registerPid(pid, true) : () => {};
  return {
    browser,
    pid,
    async close() {
      await Promise.race([browser.close().catch(() => {}), sleep(10000)]);
      if (pid) {
        try { process.kill(-pid, 'SIGKILL'); } catch { /* closed */ }
      }
      unregister();
    },
  };
}

// ---- the collector (runs in the page) ---------------------------------------

function installCollector({ which, intervalMs, maxFrames }) {
  const pcOf = () => (which === 'yh-sub' ? window.__yh?.client?.subPc
    : which === 'yh-pub' ? window.__yh?.client?.pubPc : window.__pc);
  const q = { samples: [], frames: [], track: null, clone: null, reader: null };
  window.__q = q;
  const recv = (v, a) => ({
    t: Date.now(),
    v: v && {
      fd: v.framesDecoded ?? 0, fr: v.framesReceived ?? 0, fdrop: v.framesDropped ?? 0,
      fc: v.freezeCount ?? null, tfd: v.totalFreezesDuration ?? null,
      pc: v.pauseCount ?? null, tpd: v.totalPausesDuration ?? null,
      fps: v.framesPerSecond ?? 0, w: v.frameWidth ?? 0, h: v.frameHeight ?? 0,
      bytes: v.bytesReceived ?? 0, pkts: v.packetsReceived ?? 0, lost: v.packetsLost ?? 0,
      nack: v.nackCount ?? 0, pli: v.pliCount ?? 0, kf: v.keyFramesDecoded ?? 0,
    },
    a: a && {
      cs: a.concealedSamples ?? null, scs: a.silentConcealedSamples ?? null,
      tsr: a.totalSamplesReceived ?? null, ce: a.concealmentEvents ?? null,
      bytes: a.bytesReceived ?? 0, pkts: a.packetsReceived ?? 0, lost: a.packetsLost ?? 0,
    },
  });
  const send = (report) => {
    const layers = [];
    let abytes = 0;
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      if (s.kind === 'audio') abytes += s.bytesSent ?? 0;
      else layers.push({ rid: s.rid ?? '', w: s.frameWidth ?? 0, h: s.frameHeight ?? 0,
        bytes: s.bytesSent ?? 0, rtx: s.retransmittedBytesSent ?? 0, target: s.targetBitrate ?? 0,
        frames: s.framesEncoded ?? 0, lim: s.qualityLimitationReason ?? '' });
    });
    return { t: Date.now(), layers, abytes };
  };
  // Every frame the decoder delivers to B's track: [epoch ms, width,
  // height], read from a clone of the track (requestVideoFrameCallback
  // would count composited frames, and headless Chromium under load
  // composites fewer than it decodes).
  const watch = (pc) => {
    const track = pc.getReceivers().map((r) => r.track).find((t) => t.id === q.track);
    if (!track) return;
    q.reader?.cancel().catch(() => {});
    q.clone?.stop();
    q.clone = track.clone();
    const reader = new MediaStreamTrackProcessor({ track: q.clone }).readable.getReader();
    q.reader = reader;
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (q.frames.length < maxFrames) q.frames.push([performance.timeOrigin + performance.now(), value.displayWidth, value.displayHeight]);
        value.close();
      }
    })().catch(() => {});
  };
  const tick = async () => {
    const pc = pcOf();
    if (!pc) return;
    const report = await pc.getStats();
    if (which === 'yh-pub' || which === 'pc-send') {
      q.samples.push(send(report));
      return;
    }
    let v = null, a = null;
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video' && (!v || s.bytesReceived > v.bytesReceived)) v = s;
      if (s.kind === 'audio' && (!a || s.bytesReceived > a.bytesReceived)) a = s;
    });
    q.samples.push(recv(v, a));
    if (v?.trackIdentifier && q.track !== v.trackIdentifier) {
      q.track = v.trackIdentifier;
      watch(pc);
    }
  };
  q.timer = setInterval(() => { tick().catch(() => {}); }, intervalMs);
  tick().catch(() => {});
}

export async function startCollectors(peers, intervalMs) {
  const maxFrames = 20000;
  await peers.a.page.evaluate(installCollector, { which: peers.sendWhich, intervalMs: 1000, maxFrames });
  await peers.b.page.evaluate(installCollector, { which: peers.recvWhich, intervalMs, maxFrames });
}

export async function collect(peers) {
  const get = (p) => p.page.evaluate(() => ({ samples: window.__q.samples, frames: window.__q.frames, until: Date.now() }));
  return { recv: await get(peers.b), send: (await get(peers.a)).samples };
}

// How long B has been decoding frames at least `width` wide with no gap
// between two of more than `gapMs`, up to now (ms; 0 when it is not).
export function steadyFor(peers, width, gapMs) {
  return peers.b.page.evaluate(({ width, gapMs }) => {
    const f = window.__q.frames;
    const now = performance.timeOrigin + performance.now();
    let since = now;
    for (let i = f.length - 1; i >= 0 && f[i][1] >= width && since - f[i][0] <= gapMs; i--)
      since = f[i][0];
    return now - since;
  }, { width, gapMs });
}

// ---- Yunhui: the web client ---------------------------------------------------

async function joinYunhui(browser, baseUrl, meeting, name, query) {
  const p = await openParticipant(browser, baseUrl, { meeting, name, autojoin: true, query });
  await p.page.waitForFunction(() => ['joined', 'error', 'left'].includes(window.__yh?.state), null, { timeout: 15000 });
  const state = await p.page.evaluate(() => window.__yh.state);
  if (state !== 'joined')
    throw new Error(`${name} could not join: state ${state}\n${p.console.slice(-20).join('\n')}`);
  return p;
}

export async function yunhuiPeers(browser, srv, media) {
  const meeting = String(100000000 + Math.floor(Math.random() * 899999999));
  const a = await joinYunhui(browser, srv.baseUrl, meeting, 'A', { w: media.width, h: media.height, fps: media.fps });
  // B only receives: a small single-layer camera, then camera and
  // microphone muted, so the relay's downlink carries B's subscription only.
  // The mute must come after B's tracks are published (a mute before
  // that has no track to apply to), and A must see it: otherwise B's
  // camera, fed the same noisy clip, crosses the capped downlink to A.
  const b = await joinYunhui(browser, srv.baseUrl, meeting, 'B', { w: 320, h: 240, fps: 10, simulcast: 0 });
  const bTracks = (muted) => a.page.waitForFunction((m) => {
    const ts = [...window.__yh.client.tracks.values()];
    return ts.length >= 2 && ts.every((t) => !m || t.muted);
  }, muted, { timeout: 20000 });
  await bTracks(false);
  await b.page.evaluate(async () => {
    await window.__yh.client.setMuted('camera', true);
    await window.__yh.client.setMuted('microphone', true);
  });
  await bTracks(true);
  return { a, b, sendWhich: 'yh-pub', recvWhich: 'yh-sub', close: async () => {} };
}

// ---- Janus: plain RTCPeerConnection pages ---------------------------------------

const PAGE = `<!doctype html><meta charset="utf-8"><title>bench/quality</title>
<video id="v" autoplay playsinline muted width="960" height="540"></video><audio id="a" autoplay></audio>`;

// A page server on loopback (a secure context, so getUserMedia works).
export function pageServer() {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`,
    close: () => new Promise((r) => srv.close(r)),
  })));
}

async function gathered() {
  const pc = window.__pc;
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((r) => {
      const t = setTimeout(r, 3000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); r(); }
      });
    });
  }
  return pc.localDescription.sdp;
}

// A: what web/yunhui.js publishes (audio, then video with the q/h/f
// encodings of simulcastEncodings() for a 540p camera), offered whole.
async function publisherOffer({ width, height, fps }) {
  const s = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: fps, max: fps } },
  });
  // A self-view, as the web client shows (the page then costs about what
  // the web client's does).
  document.getElementById('v').srcObject = s;
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  window.__pc = pc;
  pc.addTransceiver(s.getAudioTracks()[0], { direction: 'sendonly', streams: [s] });
  pc.addTransceiver(s.getVideoTracks()[0], {
    direction: 'sendonly', streams: [s],
    sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
      { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
      { rid: 'f', maxBitrate: 1500000 },
    ],
  });
  await pc.setLocalDescription(await pc.createOffer());
}

async function subscriberAnswer(sdp) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  window.__pc = pc;
  pc.ontrack = (e) => {
    const el = document.getElementById(e.track.kind === 'video' ? 'v' : 'a');
    el.srcObject = new MediaStream([e.track]);
    el.play().catch(() => {});
  };
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
}

export async function janusPeers(browser, srv, media, pages) {
  const open = (name) => openParticipant(browser, pages.url, { name, label: name });
  const a = await open('A');
  const b = await open('B');
  const room = 1 + Math.floor(Math.random() * 2 ** 30);
  const pub = await janusPublish(srv.apiUrl, room, async () => {
    await a.page.evaluate(publisherOffer, media);
    return a.page.evaluate(gathered);
  }, (sdp) => a.page.evaluate((s) => window.__pc.setRemoteDescription({ type: 'answer', sdp: s }), sdp));
  const sub = await janusSubscribe(srv.apiUrl, room, pub.feed, async (offer) => {
    await b.page.evaluate(subscriberAnswer, offer);
    return b.page.evaluate(gathered);
  });
  await b.page.waitForFunction(() => window.__pc.connectionState === 'connected', null, { timeout: 15000 });
  return {
    a, b, sendWhich: 'pc-send', recvWhich: 'pc',
    async close() {
      await sub.close();
      await pub.close();
    },
  };
}
