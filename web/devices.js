// Camera and microphone for the Yunhui client: opening them with sizes and
// device choices, listing devices. Used by yunhui.js (which re-exports
// these) and the pre-join screen; no DOM code.

/** Camera constraints from {width, height, frameRate, deviceId}. */
export function videoConstraints({ width = 640, height = 480, frameRate, deviceId } = {}) {
  const v = { width: { ideal: width }, height: { ideal: height } };
  if (frameRate) v.frameRate = { ideal: frameRate, max: frameRate };
  if (deviceId) v.deviceId = { exact: deviceId };
  return v;
}

/**
 * getUserMedia for camera and microphone, degrading to what exists.
 * `width`/`height`/`frameRate` shape the camera (default 640x480);
 * `audioDeviceId`/`videoDeviceId` pick devices.
 */
export async function openLocalMedia({ audio = true, video = true, width, height, frameRate, audioDeviceId, videoDeviceId } = {}) {
  const v = video ? videoConstraints({ width, height, frameRate, deviceId: videoDeviceId }) : false;
  const a = audio ? (audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true) : false;
  const attempts = [{ audio: a, video: v }];
  if (audio && video) attempts.push({ audio: a, video: false }, { audio: false, video: v });
  let lastError = null;
  for (const c of attempts) {
    if (!c.audio && !c.video) continue;
    try {
      return await navigator.mediaDevices.getUserMedia(c);
    } catch (e) {
      lastError = e;
      // Permission refused: asking again for less will not help.
      if (e.name === 'NotAllowedError' || e.name === 'SecurityError') break;
    }
  }
  throw lastError ?? Object.assign(new Error('no camera or microphone requested'), { code: 'no-media' });
}

/** One new track from device `deviceId` ('audio' or 'video'). */
export async function openDeviceTrack(kind, deviceId, video = {}) {
  const c = kind === 'audio'
    ? { audio: deviceId ? { deviceId: { exact: deviceId } } : true }
    : { video: videoConstraints({ ...video, deviceId }) };
  const s = await navigator.mediaDevices.getUserMedia(c);
  return s.getTracks()[0];
}

/**
 * The devices, grouped: {audioinput:[{deviceId,label}], videoinput:[…],
 * audiooutput:[…]}. Labels are empty until the page was allowed a device
 * once; those get "Microphone 1" style names.
 */
export async function listDevices() {
  const out = { audioinput: [], videoinput: [], audiooutput: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return out;
  const names = { audioinput: 'Microphone', videoinput: 'Camera', audiooutput: 'Speaker' };
  for (const d of await navigator.mediaDevices.enumerateDevices()) {
    const list = out[d.kind];
    if (!list) continue;
    list.push({ deviceId: d.deviceId, groupId: d.groupId, label: d.label || `${names[d.kind]} ${list.length + 1}` });
  }
  return out;
}
