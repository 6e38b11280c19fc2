// The pre-join screen: a camera preview, microphone and camera choice,
// "join muted" and "camera on". The stream opened here is handed to the
// meeting client, so joining does not open the devices a second time.

import { listDevices, openDeviceTrack, openLocalMedia } from '../yunhui.js';
import { $, describeError, h } from './util.js';

export class PreJoin {
  /** `video`: camera constraints {width, height, frameRate} (test options). */
  constructor({ video = {} } = {}) {
    this.video = video;
    this.stream = null;
    this.opening = null;
    this.meter = null;
    $('mic-select').addEventListener('change', () => this._switch('audio', $('mic-select').value));
    $('cam-select').addEventListener('change', () => this._switch('video', $('cam-select').value));
    $('join-cam').addEventListener('change', () => this._applyToggles());
    $('join-muted').addEventListener('change', () => this._applyToggles());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this._fillDevices());
  }

  get wantMic() {
    return !$('join-muted').checked;
  }

  get wantCam() {
    return $('join-cam').checked;
  }

  /** Opens the preview (once); resolves with the stream or null. */
  start() {
    if (this.stream) return Promise.resolve(this.stream);
    if (this.opening) return this.opening;
    this.opening = (async () => {
      try {
        const s = await openLocalMedia({ audio: true, video: true, ...this.video });
        this.stream = s;
        $('preview-video').srcObject = s;
        $('preview-video').play().catch(() => {});
        this._applyToggles();
        await this._fillDevices();
        this._startMeter();
        return s;
      } catch (e) {
        $('preview-text').textContent = describeError(e);
        return null;
      } finally {
        this.opening = null;
      }
    })();
    return this.opening;
  }

  /** Gives the stream away (the meeting client owns it now). */
  async take() {
    const s = this.stream ?? (await this.opening);
    this.stream = null;
    this._stopMeter();
    $('preview-video').srcObject = null;
    return s;
  }

  stop() {
    this._stopMeter();
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    $('preview-video').srcObject = null;
    $('preview').dataset.video = 'off';
  }

  _applyToggles() {
    const s = this.stream;
    for (const t of s?.getAudioTracks() ?? []) t.enabled = this.wantMic;
    for (const t of s?.getVideoTracks() ?? []) t.enabled = this.wantCam;
    const on = !!s?.getVideoTracks().length && this.wantCam;
    $('preview').dataset.video = on ? 'on' : 'off';
    if (!on && s) $('preview-text').textContent = s.getVideoTracks().length ? 'Camera off' : 'No camera';
  }

  async _fillDevices() {
    let d;
    try {
      d = await listDevices();
    } catch {
      return;
    }
    const fill = (sel, list, kind) => {
      const cur = this.stream?.getTracks().find((t) => t.kind === kind)?.getSettings?.().deviceId ?? sel.value;
      sel.replaceChildren(...(list.length ? list : [{ deviceId: '', label: 'None found' }]).map((x) => h('option', { value: x.deviceId }, x.label)));
      if (list.some((x) => x.deviceId === cur)) sel.value = cur;
      sel.disabled = list.length === 0;
    };
    fill($('mic-select'), d.audioinput, 'audio');
    fill($('cam-select'), d.videoinput, 'video');
  }

  async _switch(kind, deviceId) {
    const s = this.stream;
    if (!s) return;
    try {
      const track = await openDeviceTrack(kind, deviceId, this.video);
      for (const old of s.getTracks().filter((t) => t.kind === kind)) {
        s.removeTrack(old);
        old.stop();
      }
      s.addTrack(track);
      this._applyToggles();
      if (kind === 'audio') this._startMeter();
    } catch (e) {
      $('join-error').textContent = describeError(e);
    }
  }

  /** A small level bar, so people see that the microphone hears them. */
  _startMeter() {
    this._stopMeter();
    const track = this.stream?.getAudioTracks()[0];
    const Ctx = window.AudioContext ?? window.webkitAudioContext;
    if (!track || !Ctx) return;
    try {
      const ctx = new Ctx();
      const src = ctx.createMediaStreamSource(new MediaStream([track]));
      const an = ctx.createAnalyser();
      an.fftSize = 512;
      src.connect(an);
      const buf = new Uint8Array(an.fftSize);
      const timer = setInterval(() => {
        an.getByteTimeDomainData(buf);
        let peak = 0;
        for (const v of buf) peak = Math.max(peak, Math.abs(v - 128));
        const on = track.enabled && track.readyState === 'live';
        $('preview-level').style.width = `${on ? Math.min(100, (peak / 64) * 100) : 0}%`;
      }, 120);
      this.meter = { ctx, timer };
    } catch {
      this.meter = null;
    }
  }

  _stopMeter() {
    if (!this.meter) return;
    clearInterval(this.meter.timer);
    this.meter.ctx.close().catch(() => {});
    this.meter = null;
    $('preview-level').style.width = '0';
  }
}
