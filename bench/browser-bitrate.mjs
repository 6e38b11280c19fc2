// Figures, not a test: two Chromium participants in one meeting through a
// real server; prints, every 2 s for DURATION seconds, the publisher's
// send-side bandwidth estimate (availableOutgoingBitrate, driven by the
// server's TWCC feedback), the video bitrate it sends, and the bitrate the
// other participant receives and decodes.
//
//   node bench/browser-bitrate.mjs [seconds]     (needs build/yunhui and
//   `npm ci` in tests/e2e)
import { launchBrowser, openParticipant } from '../tests/e2e/lib/browser.mjs';
import { startServer } from '../tests/e2e/lib/server.mjs';

const DURATION = Math.min(Number(process.argv[2] || 20), 120);

async function sendStats(page) {
  return page.evaluate(async () => {
    const pc = window.__yh.client.pubPc;
    const r = await pc.getStats();
    const out = { bytes: 0, avail: 0, width: 0 };
    r.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.bytes += s.bytesSent;
        out.width = Math.max(out.width, s.frameWidth || 0);
      }
      if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate)
        out.avail = s.availableOutgoingBitrate;
    });
    return out;
  });
}

async function recvBytes(page) {
  const st = await page.evaluate(() => window.__yh.inboundStats());
  return st.filter((s) => s.kind === 'video').reduce((a, s) => a + s.bytesReceived, 0);
}

const srv = await startServer();
const browser = await launchBrowser();
try {
  const meeting = String(100000000 + Math.floor(Math.random() * 899999999));
  const a = await openParticipant(browser, srv.baseUrl, { meeting, name: 'Sender', autojoin: true });
  const b = await openParticipant(browser, srv.baseUrl, { meeting, name: 'Receiver', autojoin: true });
  await a.page.waitForFunction(() => window.__yh?.client?.pubPc, null, { timeout: 15000 });
  let prevS = await sendStats(a.page);
  let prevR = await recvBytes(b.page);
  let t0 = Date.now();
  console.log('t_s  estimate_kbps  sent_kbps  received_kbps  width');
  for (let t = 2; t <= DURATION; t += 2) {
    await new Promise((r) => setTimeout(r, 2000));
    const s = await sendStats(a.page);
    const r = await recvBytes(b.page);
    const dt = (Date.now() - t0) / 1000;
    t0 = Date.now();
    console.log(`${String(t).padStart(3)}  ${String(Math.round(s.avail / 1000)).padStart(13)}  ` +
      `${String(Math.round(((s.bytes - prevS.bytes) * 8) / dt / 1000)).padStart(9)}  ` +
      `${String(Math.round(((r - prevR) * 8) / dt / 1000)).padStart(13)}  ${s.width}`);
    prevS = s;
    prevR = r;
  }
} finally {
  await browser.close();
  await srv.stop();
}
