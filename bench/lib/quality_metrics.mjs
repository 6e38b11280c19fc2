// Figures of bench/quality from what the page collectors recorded
// (quality_pages.mjs): B's inbound-rtp samples {t, v, a}, B's decoded
// frames [t, width, height] and A's outbound layers {t, layers, abytes};
// times are epoch milliseconds, the same clock as the driver's events.
//
// Freezes are counted twice: by Chromium (inbound-rtp freezeCount and
// totalFreezesDuration, the webrtc-stats definition), and from the frame
// times with the same rule, which also gives each freeze's length and
// place: a frame whose inter-frame delay is at least max(3 * avg, avg +
// 150 ms), avg being the mean of the last 30 delays including it
// (https://w3c.github.io/webrtc-stats/#dom-rtcinboundrtpstreamstats-freezecount,
// Chromium's VideoQualityObserver). A gap of 5 s or more is a pause
// instead (pauseCount, totalPausesDuration); "stalled" time below is
// freezes and pauses together, from the frames: the time the picture did
// not move.

const AVG_WINDOW = 30;
const MIN_FREEZE_INCREASE_MS = 150;
const PAUSE_MS = 5000;

// Every freeze or pause in `frames`: {start, end, ms, pause} (end = the
// frame after it). A gap still open at `until` counts as one (open: true).
export function frameStalls(frames, until) {
  const out = [];
  const win = [];
  let sum = 0;
  for (let i = 1; i < frames.length; i++) {
    const d = frames[i][0] - frames[i - 1][0];
    win.push(d);
    sum += d;
    if (win.length > AVG_WINDOW)
      sum -= win.shift();
    const avg = sum / win.length;
    if (d >= PAUSE_MS || (win.length > 1 && d >= Math.max(3 * avg, avg + MIN_FREEZE_INCREASE_MS)))
      out.push({ start: frames[i - 1][0], end: frames[i][0], ms: d, pause: d >= PAUSE_MS });
  }
  const last = frames.length ? frames[frames.length - 1][0] : null;
  const avg = win.length ? sum / win.length : 0;
  if (last !== null && until - last >= Math.max(3 * avg, avg + MIN_FREEZE_INCREASE_MS))
    out.push({ start: last, end: until, ms: until - last, pause: until - last >= PAUSE_MS, open: true });
  return out;
}

const firstAt = (samples, t) => samples.find((s) => s.t >= t && s.v && s.a) ?? null;
function lastAt(samples, t) {
  for (let i = samples.length - 1; i >= 0; i--)
    if (samples[i].t <= t && samples[i].v && samples[i].a)
      return samples[i];
  return null;
}
const pct = (num, den) => (den > 0 ? (100 * num) / den : null);
const round = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

// When the frames were collected (older records: the last sample).
const endOf = (recv) => recv.until ?? (recv.samples.length ? recv.samples[recv.samples.length - 1].t : 0);

// B's figures over [t0, t1].
export function windowFigures(recv, t0, t1, topWidth) {
  const s0 = firstAt(recv.samples, t0), s1 = lastAt(recv.samples, t1);
  if (!s0 || !s1 || s1.t <= s0.t)
    return null;
  const ms = s1.t - s0.t;
  const d = (f) => f(s1) - f(s0);
  const st = frameStalls(recv.frames, endOf(recv)).filter((f) => f.end > t0 && f.start < t1);
  const clip = (f) => Math.min(f.end, t1) - Math.max(f.start, t0);
  const stalledFrames = st.reduce((n, f) => n + clip(f), 0);
  const inWin = recv.samples.filter((s) => s.t >= t0 && s.t <= t1 && s.v);
  const onTop = topWidth ? inWin.filter((s) => s.v.w >= topWidth).length : 0;
  const chrome = s1.v.tfd !== null && s0.v.tfd !== null;
  const freezeMs = chrome ? d((s) => s.v.tfd) * 1000 : st.filter((f) => !f.pause).reduce((n, f) => n + clip(f), 0);
  const pauseMs = chrome ? d((s) => s.v.tpd) * 1000 : st.filter((f) => f.pause).reduce((n, f) => n + clip(f), 0);
  const vPkts = d((s) => s.v.pkts + s.v.lost), aPkts = d((s) => s.a.pkts + s.a.lost);
  return {
    seconds: round(ms / 1000, 1),
    freeze_count: chrome ? d((s) => s.v.fc) : st.filter((f) => !f.pause).length,
    freeze_ms: Math.round(freezeMs),
    pause_count: chrome ? d((s) => s.v.pc) : st.filter((f) => f.pause).length,
    pause_ms: Math.round(pauseMs),
    // Chromium adds a freeze or pause when it ends, so a stall across two
    // windows lands in the second; the frames put it where it was.
    stalls: st.length,
    stalled_ms: Math.round(stalledFrames),
    stalled_pct: round(pct(stalledFrames, t1 - t0), 2),
    longest_stall_ms: Math.round(Math.max(0, ...st.map((f) => f.ms))),
    fps: round(d((s) => s.v.fd) / (ms / 1000), 1),
    video_kbps: Math.round((d((s) => s.v.bytes) * 8) / ms),
    video_loss_pct: round(pct(d((s) => s.v.lost), vPkts), 2),
    nacks: d((s) => s.v.nack),
    plis: d((s) => s.v.pli),
    key_frames: d((s) => s.v.kf),
    conceal_pct: s1.a.cs === null ? null : round(pct(d((s) => s.a.cs), d((s) => s.a.tsr)), 2),
    audio_loss_pct: round(pct(d((s) => s.a.lost), aPkts), 2),
    top_share_pct: topWidth ? round(pct(onTop, inWin.length), 1) : null,
  };
}

// B's resolution over [t0, t1] from the samples: [{t (s from t0), res}] at
// every change.
export function timeline(recv, t0, t1) {
  const out = [];
  for (const s of recv.samples) {
    if (s.t < t0 || s.t > t1 || !s.v || !s.v.w)
      continue;
    const res = `${s.v.w}x${s.v.h}`;
    if (!out.length || out[out.length - 1].res !== res)
      out.push({ t: round((s.t - t0) / 1000, 1), res });
  }
  return out;
}

export const fmtTimeline = (tl) => tl.map((x) => `${x.t}s ${x.res}`).join(', ');

// A's layers over [t0, t1]: [{rid, width, kbps}], widest first. A layer's
// rate is the lower of what it sent (first transmissions) and its encoder's
// target: Chromium counts the padding it sends to probe the bandwidth in
// bytesSent of the low layer, which can triple that layer's apparent rate.
export function layerRates(send, t0, t1) {
  const inWin = send.filter((s) => s.t >= t0 && s.t <= t1);
  if (inWin.length < 2)
    return {};
  const a = inWin[0], b = inWin[inWin.length - 1];
  const sec = (b.t - a.t) / 1000;
  const layers = b.layers.map((l) => {
    const before = a.layers.find((x) => x.rid === l.rid);
    const sent = before ? ((l.bytes - l.rtx - before.bytes + before.rtx) * 8) / sec / 1000 : null;
    const target = l.target ? l.target / 1000 : null;
    const kbps = sent === null ? target : target === null ? sent : Math.min(sent, target);
    return { rid: l.rid, width: l.w, height: l.h, limited: l.lim, sent_kbps: round(sent), target_kbps: round(target),
             kbps: round(kbps) };
  });
  return { layers: layers.sort((x, y) => y.width - x.width),
           audio_kbps: Math.round(((b.abytes - a.abytes) * 8) / sec / 1000) };
}

// A's top layer: the widest layer A sent up to time t.
export function topWidthAt(send, t) {
  let w = 0;
  for (const s of send)
    if (s.t <= t)
      w = Math.max(w, ...s.layers.map((l) => l.w));
  return w;
}

const firstFrame = (frames, t, pred = () => true) => frames.find((f) => f[0] >= t && pred(f)) ?? null;

// Scenario 2: the cap from `capAt` to `liftAt`, the end at `endAt`.
export function capFigures(recv, send, ev, capKbps) {
  const top = topWidthAt(send, ev.capAt);
  const rates = layerRates(send, Math.max(ev.clearAt, ev.capAt - 10000), ev.capAt);
  // The widest layer whose rate in the clear phase, with the audio, fits
  // under the cap.
  const fit = (rates.layers ?? []).find((l) => l.kbps !== null && l.kbps + rates.audio_kbps <= capKbps) ?? null;
  const fitW = fit ? fit.width : 0;
  const onFit = firstFrame(recv.frames, ev.capAt, (f) => f[1] > 0 && f[1] <= fitW);
  const back = firstFrame(recv.frames, ev.liftAt, (f) => f[1] >= top);
  const capFrames = recv.frames.filter((f) => f[0] >= ev.capAt && f[0] < ev.liftAt);
  const st = frameStalls(recv.frames, endOf(recv)).filter((f) => f.end > ev.capAt && f.start < ev.liftAt);
  return {
    top_width: top,
    layers_clear: rates,
    fitting_layer: fit ? `${fit.rid} ${fit.width}x${fit.height} (${fit.kbps} kbps)` : null,
    to_fitting_ms: onFit ? Math.round(onFit[0] - ev.capAt) : null,
    capped_share_on_fitting_pct: capFrames.length
      ? round(pct(capFrames.filter((f) => f[1] <= fitW).length, capFrames.length), 1) : null,
    longest_stall_capped_ms: Math.round(Math.max(0, ...st.map((f) => f.ms))),
    back_on_top_ms: back ? Math.round(back[0] - ev.liftAt) : null,
    clear: windowFigures(recv, ev.clearAt, ev.capAt, top),
    capped: windowFigures(recv, ev.capAt, ev.liftAt, top),
    lifted: windowFigures(recv, ev.liftAt, ev.endAt, top),
  };
}

// Scenario 3: per burst, the first frame B decodes after it ended. When
// none came before the collection ended, the time to that end is a lower
// bound (open: true).
export function burstFigures(recv, bursts) {
  const until = endOf(recv);
  const st = frameStalls(recv.frames, until);
  const per = bursts.map((b) => {
    const next = firstFrame(recv.frames, b.off);
    return {
      recovery_ms: Math.round((next ? next[0] : until) - b.off),
      open: !next,
      stalled: st.some((f) => f.end > b.on && f.start < b.off),
    };
  });
  const rec = per.map((p) => p.recovery_ms);
  const max = Math.max(0, ...rec);
  return {
    bursts: per.length,
    bursts_with_stall: per.filter((p) => p.stalled).length,
    recovery_max_ms: max,
    recovery_max_open: per.some((p) => p.open && p.recovery_ms === max),
    recovery_mean_ms: rec.length ? Math.round(rec.reduce((a, b) => a + b, 0) / rec.length) : null,
    recovery_ms: rec,
    recovery_open: per.map((p) => p.open),
  };
}
