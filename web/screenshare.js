// Screen sharing of a YunhuiClient: a second video track on the
// publisher connection, its transceiver kept (inactive) between shares so
// the offer does not grow.

import { YunhuiError } from './signaling.js';

export async function startScreenShare(client, { stream } = {}) {
  if (client.screenStream) return client.screenStream;
  const s = stream ?? (await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false }));
  const track = s.getVideoTracks()[0];
  if (!track) throw new YunhuiError('no-media', 'the screen capture has no video');
  if ('contentHint' in track) track.contentHint = 'detail';
  const pc = client._ensurePublisherPc();
  let tr = client._screenTr && !client._screenTr.stopped ? client._screenTr : null;
  if (tr) {
    await tr.sender.replaceTrack(track);
    tr.direction = 'sendonly';
  } else {
    tr = pc.addTransceiver(track, { direction: 'sendonly', streams: [s] });
    client._pubSources.set(tr, 'screen');
    client._screenTr = tr;
  }
  client.screenStream = s;
  track.addEventListener('ended', () => {
    if (client.screenStream === s) client.stopScreenShare().catch(() => {});
  });
  try {
    await client._negotiatePublisher();
  } catch (e) {
    client.screenStream = null;
    tr.direction = 'inactive';
    await tr.sender.replaceTrack(null).catch(() => {});
    for (const t of s.getTracks()) t.stop();
    throw e;
  }
  client.emit('screen-share', { active: true, stream: s });
  return s;
}

export async function stopScreenShare(client) {
  const s = client.screenStream;
  if (!s) return;
  client.screenStream = null;
  for (const t of s.getTracks()) t.stop();
  const tr = client._screenTr;
  // The transceiver stays, inactive, for the next share: no m-line growth.
  if (tr && !tr.stopped) {
    tr.direction = 'inactive';
    await tr.sender.replaceTrack(null).catch(() => {});
  }
  client.emit('screen-share', { active: false });
  // Refused when the role lost the right to publish: the server has
  // ended the track itself then.
  if (client.pubPc && client.sig?.isOpen) await client._negotiatePublisher().catch((e) => console.warn('yunhui: stop share:', e.message));
}
