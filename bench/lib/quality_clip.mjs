// The camera of bench/quality's publisher: a generated Y4M clip that
// Chromium's fake capture device plays in a loop
// (--use-file-for-fake-video-capture).
//
// Chromium's built-in fake camera draws a flat test pattern that VP8 codes
// at about 450 kbps at 960x540 and 15 fps however much it is allowed, so a
// 500 kbps cap would not bind on the full-size layer. A real camera's
// sensor noise keeps every layer at its encoder's target; this clip has it:
// a moving gradient and three moving discs (all periodic over the loop, so
// the loop has no cut) plus per-pixel noise of about +-12 levels in luma.
import fs from 'node:fs';

const LOOP_S = 4;

function xorshift(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

// Writes the clip (width x height at fps, LOOP_S seconds) to `file`.
export function writeClip(file, width, height, fps) {
  const frames = LOOP_S * fps;
  const ySize = width * height, cSize = (width / 2) * (height / 2);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const rnd = xorshift(12345);
  const buf = Buffer.alloc(ySize + 2 * cSize);
  for (let f = 0; f < frames; f++) {
    const ph = (2 * Math.PI * f) / frames;
    const discs = [0, 1, 2].map((i) => ({
      x: width * (0.5 + 0.35 * Math.sin(ph * (i + 1) + i)),
      y: height * (0.5 + 0.35 * Math.cos(ph * (2 - i) + 2 * i)),
      r: height * (0.08 + 0.04 * i), v: 200 - 50 * i,
    }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = 100 + 50 * Math.sin((2 * Math.PI * (x + y)) / width + ph);
        for (const d of discs)
          if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r)
            v = d.v;
        const r = rnd();
        v += (r & 15) + ((r >>> 4) & 15) - 15; // triangular noise, -15..15
        buf[y * width + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    for (let i = 0; i < cSize; i++) {
      const r = rnd();
      const cx = i % (width / 2);
      buf[ySize + i] = 128 + 40 * Math.sin((2 * Math.PI * cx) / width + ph) + (r & 7) - 3;
      buf[ySize + cSize + i] = 128 + 40 * Math.cos((2 * Math.PI * cx) / width - ph) + ((r >>> 3) & 7) - 3;
    }
    fs.writeSync(fd, 'FRAME\n');
    fs.writeSync(fd, buf);
  }
  fs.closeSync(fd);
}
