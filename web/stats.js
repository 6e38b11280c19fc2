// getStats() of a client's two connections in the shape the client
// reports them (YunhuiClient.inboundStats / outboundStats), each remote
// stream named by its track and participant.

/** inbound-rtp stats of the subscriber connection, one entry per remote track. */
export async function inboundStats(client) {
  const pc = client.subPc;
  if (!pc) return [];
  const report = await pc.getStats();
  const byTrackIdent = new Map();
  for (const tr of pc.getTransceivers()) if (tr.mid != null) byTrackIdent.set(tr.receiver.track.id, tr.mid);
  const out = [];
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    const mid = s.mid ?? byTrackIdent.get(s.trackIdentifier);
    const trackId = mid != null ? client.subMidToTrack.get(String(mid)) ?? null : null;
    const info = trackId ? client.tracks.get(trackId) : null;
    const participant = info?.participant ?? client.remote.get(trackId)?.participantId ?? null;
    out.push({
      participant,
      participantName: participant ? client.participants.get(participant)?.name ?? null : null,
      trackId,
      source: info?.source ?? client.remote.get(trackId)?.source ?? null,
      mid: mid ?? null,
      kind: s.kind,
      ssrc: s.ssrc,
      framesDecoded: s.framesDecoded ?? 0,
      framesReceived: s.framesReceived ?? 0,
      frameWidth: s.frameWidth ?? 0,
      frameHeight: s.frameHeight ?? 0,
      packetsReceived: s.packetsReceived ?? 0,
      packetsLost: s.packetsLost ?? 0,
      bytesReceived: s.bytesReceived ?? 0,
      keyFramesDecoded: s.keyFramesDecoded ?? 0,
      pliCount: s.pliCount ?? 0,
      nackCount: s.nackCount ?? 0,
      retransmittedPacketsReceived: s.retransmittedPacketsReceived ?? 0,
      freezeCount: s.freezeCount ?? 0,
      totalFreezesDuration: s.totalFreezesDuration ?? 0,
      jitterBufferDelay: s.jitterBufferDelay ?? 0,
      jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? 0,
      concealedSamples: s.concealedSamples ?? 0,
      totalSamplesReceived: s.totalSamplesReceived ?? 0,
      totalAudioEnergy: s.totalAudioEnergy ?? 0,
      audioLevel: s.audioLevel ?? 0,
      jitter: s.jitter ?? 0,
    });
  });
  return out;
}

/** outbound-rtp stats of the publisher connection. */
export async function outboundStats(client) {
  const pc = client.pubPc;
  if (!pc) return [];
  const report = await pc.getStats();
  const out = [];
  report.forEach((s) => {
    if (s.type !== 'outbound-rtp') return;
    out.push({
      mid: s.mid ?? null,
      rid: s.rid ?? null,
      source: s.mid != null ? client.pubMids.get(String(s.mid)) ?? null : null,
      kind: s.kind,
      ssrc: s.ssrc,
      packetsSent: s.packetsSent ?? 0,
      bytesSent: s.bytesSent ?? 0,
      framesEncoded: s.framesEncoded ?? 0,
      frameWidth: s.frameWidth ?? 0,
      keyFramesEncoded: s.keyFramesEncoded ?? 0,
      pliCount: s.pliCount ?? 0,
      nackCount: s.nackCount ?? 0,
    });
  });
  return out;
}
