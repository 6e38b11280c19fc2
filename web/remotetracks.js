// A client's remote tracks (YunhuiClient.remote, trackId -> entry), kept
// in step with the subscriber connection and the tracks the server
// announced: an entry is emitted ('remote-track') once both its media and
// its TRACK object (the participant it belongs to) are known, and ended
// ('remote-track-ended') when its m-line stops carrying it.

/** Reconciles client.remote with the offer's mid -> track list after each negotiation. */
export function syncRemoteTracks(client) {
  const pc = client.subPc;
  if (!pc) return;
  const byMid = new Map();
  for (const tr of pc.getTransceivers()) if (tr.mid != null && !tr.stopped) byMid.set(tr.mid, tr);
  const wanted = new Map(); // trackId -> transceiver
  for (const [mid, trackId] of client.subMidToTrack) {
    const tr = byMid.get(mid);
    if (tr) wanted.set(trackId, tr);
  }
  for (const [trackId, r] of [...client.remote]) {
    const tr = wanted.get(trackId);
    if (!tr || tr.receiver.track !== r.track) {
      client.remote.delete(trackId);
      client.emit('remote-track-ended', { trackId, participantId: r.participantId, kind: r.kind, source: r.source });
    }
  }
  for (const [trackId, tr] of wanted) {
    if (client.remote.has(trackId)) continue;
    const track = tr.receiver.track;
    const info = client.tracks.get(trackId) ?? null;
    const r = {
      trackId,
      mid: tr.mid,
      participantId: info?.participant ?? null,
      kind: info?.kind ?? track.kind,
      source: info?.source ?? (track.kind === 'audio' ? 'microphone' : 'camera'),
      track,
      stream: new MediaStream([track]),
      info,
    };
    client.remote.set(trackId, r);
    if (r.participantId) client.emit('remote-track', r);
  }
}

/** Emits tracks held back because their TRACK object arrived late. */
export function refreshRemoteInfo(client) {
  for (const r of client.remote.values()) {
    const info = client.tracks.get(r.trackId);
    if (!info) continue;
    r.info = info;
    if (!r.participantId && info.participant) {
      r.participantId = info.participant;
      r.kind = info.kind;
      r.source = info.source ?? r.source;
      client.emit('remote-track', r);
    }
  }
}
