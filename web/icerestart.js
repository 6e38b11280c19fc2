// ICE restart when a media connection's network changed (docs/protocol.md
// "ICE restart"): a laptop moving from cable to Wi-Fi, a phone from Wi-Fi
// to mobile data. The browser notices first: its checks on the old path
// stop being answered, iceConnectionState goes 'disconnected' (and after
// ~30 s 'failed'). A short 'disconnected' often heals by itself (one lost
// burst), so the restart waits graceMs; 'failed' restarts at once.
// Restarts are spaced at least minIntervalMs apart so a network that stays
// down does not become a flood of offers.
//
//   import { watchIceRestart } from './icerestart.js';
//   const stop = watchIceRestart(pc, () => client.restartIce('publisher'));

export const ICE_RESTART_GRACE_MS = 2000;
export const ICE_RESTART_MIN_INTERVAL_MS = 5000;

/**
 * Calls `restart()` (which may return a promise; failures are logged) when
 * `pc` needs an ICE restart. Returns a function that stops watching.
 */
export function watchIceRestart(pc, restart, opts = {}) {
  const graceMs = opts.graceMs ?? ICE_RESTART_GRACE_MS;
  const minIntervalMs = opts.minIntervalMs ?? ICE_RESTART_MIN_INTERVAL_MS;
  let timer = null;
  let last = -Infinity;

  const schedule = (ms) => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      const st = pc.iceConnectionState;
      if (st !== 'disconnected' && st !== 'failed') return;
      const wait = last + minIntervalMs - Date.now();
      if (wait > 0) {
        schedule(wait);
        return;
      }
      last = Date.now();
      Promise.resolve()
        .then(restart)
        .catch((e) => console.warn('yunhui: ICE restart failed:', e?.message ?? e));
    }, ms);
  };

  const onChange = () => {
    const st = pc.iceConnectionState;
    if (st === 'failed') {
      clearTimeout(timer);
      timer = null;
      schedule(0);
    } else if (st === 'disconnected') {
      schedule(graceMs);
    } else {
      clearTimeout(timer);
      timer = null;
    }
  };
  pc.addEventListener('iceconnectionstatechange', onChange);
  return () => {
    clearTimeout(timer);
    timer = null;
    pc.removeEventListener('iceconnectionstatechange', onChange);
  };
}
