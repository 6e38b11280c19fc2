// Browser scenarios of meeting control through the web client (issue 4):
// the real server binary and headless Chromium, every page driven through
// its buttons. Screenshots of key moments are kept in tests/e2e/artifacts/
// (named <scenario>-<step>-<who>.png) whether the scenario passes or not.
//   node --test --test-concurrency=1 tests/e2e/control-ui.test.mjs
// Cameras run at 320x240, 15 fps (test-only URL options) to keep six pages
// cheap; each scenario stays under 120 s.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { openParticipant } from './lib/browser.mjs';
import { serverBinary } from './lib/server.mjs';

import {
  clickPersonAction,
  createMeeting,
  joinPage,
  meetingNumber,
  PHONE,
  sampleFlow,
  shot,
  sleep,
  waitForFlow,
  waitForNoFlow,
  waitPage,
  waitState,
  withEnv,
} from './lib/meeting.mjs';

const SCENARIO_TIMEOUT_MS = 120000;
const ADMIN_KEY = 'e2e-admin-key-0123456789';

/** Names of the camera tiles a page shows. */
async function tileNames(p) {
  return (await p.page.evaluate(() => window.__yh.tiles())).map((t) => t.name).sort();
}

async function waitTiles(p, names, timeout = 15000) {
  await waitPage(p, (want) => JSON.stringify(window.__yh.tiles().map((t) => t.name).sort()) === JSON.stringify(want), [...names].sort(), `tiles ${JSON.stringify(names)}`, timeout);
}

/** The participant id the page's stage shows large, or null. */
async function focusOf(p) {
  return p.page.evaluate(() => window.__yh.layout().focus);
}

async function idOf(p) {
  return p.page.evaluate(() => window.__yh.client.self.id);
}

// ---- 1. press interview ----------------------------------------------------

test('press interview: hands in raise order, the floor in turn, everyone receives the journalist on the floor', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('press', { adminKey: ADMIN_KEY }, async (env) => {
    const m = await createMeeting(env, { title: 'Press interview', publish: 'speakers' });
    const host = await joinPage(env, { meeting: m.number, name: 'Host', token: m.hostToken });
    const guest = await joinPage(env, { meeting: m.number, name: 'Interviewee', token: m.speakerToken });
    const journalists = [];
    for (let i = 1; i <= 4; i++) {
      // Journalist 1 on a phone screen: the phone layout is exercised too.
      journalists.push(await joinPage(env, { meeting: m.number, name: `J${i}`, viewport: i === 1 ? PHONE : undefined }));
    }
    const [j1, j2, j3, j4] = journalists;
    assert.equal(await host.page.evaluate(() => window.__yh.client.self.role), 'host');
    assert.equal(await guest.page.evaluate(() => window.__yh.client.self.role), 'speaker');
    for (const j of journalists) {
      assert.equal(await j.page.evaluate(() => window.__yh.client.self.role), 'attendee', `${j.label} joins as an attendee`);
      // Attendees of a "speakers" meeting may not talk until given the floor.
      assert.equal(await j.page.getAttribute('#mic-button', 'disabled'), '', `${j.label}: microphone button disabled`);
    }

    // Everyone receives the host and the interviewee; attendees see only them.
    await waitTiles(host, ['Interviewee', 'J1', 'J2', 'J3', 'J4']);
    for (const j of journalists) {
      await waitTiles(j, ['Host', 'Interviewee']);
      await waitForFlow(j, ['Host', 'Interviewee']);
    }
    await shot(env, host, 'press-1-joined');
    await shot(env, j1, 'press-1-joined');

    // Hands go up in order J1..J4; the host sees the queue in that order.
    for (const j of journalists) {
      await j.page.click('#hand-button');
      await waitPage(j, () => window.__yh.client.self.hand === true, null, 'own hand raised', 5000);
      await sleep(150);
    }
    await host.page.evaluate(() => window.__yh.openPanel('people'));
    await waitPage(host, (want) => JSON.stringify(window.__yh.handQueue()) === JSON.stringify(want), ['J1', 'J2', 'J3', 'J4'], 'hand queue J1..J4');
    await shot(env, host, 'press-2-hands');
    await shot(env, j1, 'press-2-hands');

    // The floor to J1 (exclusive): everyone else receives J1's audio and video.
    const others = (j) => [host, guest, ...journalists.filter((x) => x !== j)];
    await clickPersonAction(host, { section: '#hand-queue', name: 'J1', action: 'give-floor' });
    await waitPage(j1, () => window.__yh.client.self.role === 'speaker' && window.__yh.client.isPublishing(), null, 'J1 speaking');
    for (const p of others(j1)) {
      const flow = await waitForFlow(p, ['J1']);
      env.notes.push(`${p.label} receives J1: ${JSON.stringify(flow.J1)}`);
    }
    await waitPage(host, (want) => JSON.stringify(window.__yh.handQueue()) === JSON.stringify(want), ['J2', 'J3', 'J4'], 'hand queue J2..J4');
    await shot(env, host, 'press-3-floor-j1');
    await shot(env, j2, 'press-3-floor-j1');
    await shot(env, j1, 'press-3-floor-j1');

    // The floor to J2: J1's media stops for everyone, J2's flows.
    await clickPersonAction(host, { section: '#hand-queue', name: 'J2', action: 'give-floor' });
    await waitPage(j1, () => window.__yh.client.self.role === 'attendee' && !window.__yh.client.isPublishing(), null, 'J1 back to attendee');
    for (const p of others(j2)) {
      if (p === j1) continue;
      await waitForFlow(p, ['J2']);
      const stop = await waitForNoFlow(p, ['J1'], { video: true });
      env.notes.push(`${p.label} after floor to J2: J1 ${JSON.stringify(stop.J1)}`);
    }
    await waitForFlow(j1, ['J2']);
    // J1's page no longer sends anything the others decode.
    for (const p of [j3, j4]) await waitTiles(p, ['Host', 'Interviewee', 'J2']);
    await waitPage(host, (want) => JSON.stringify(window.__yh.handQueue()) === JSON.stringify(want), ['J3', 'J4'], 'hand queue J3, J4');
    await shot(env, host, 'press-4-floor-j2');
    await shot(env, j1, 'press-4-floor-j2');
    await shot(env, j3, 'press-4-floor-j2');
  });
});

// ---- 2. dispatch roll call ------------------------------------------------

test('dispatch roll call: the spotlight moves through the sites and only the current site is heard', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('rollcall', {}, async (env) => {
    const meeting = meetingNumber();
    const host = await joinPage(env, { meeting, name: 'Dispatch' });
    const sites = [];
    for (let i = 1; i <= 3; i++) sites.push(await joinPage(env, { meeting, name: `Site ${i}`, viewport: i === 3 ? PHONE : undefined }));
    const names = sites.map((s) => s.label);
    await waitTiles(host, names);
    await waitForFlow(host, names);
    const ids = {};
    for (const s of sites) ids[await idOf(s)] = s.label;

    // The host starts a roll call, 10 s a site, from the More panel.
    await host.page.click('#more-button');
    await host.page.fill('#rollcall-interval', '10');
    await host.page.click('#rollcall-start');
    await waitPage(host, () => !!window.__yh.client.meeting?.rollCall?.current, null, 'roll call running', 5000);
    await shot(env, host, 'rollcall-1-start');

    // Checks that the spotlight (everyone's focus) is on the current site and
    // that only it is heard; retries when the 10 s timer moved on meanwhile.
    const checkCurrent = async (step) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await host.page.evaluate(() => window.__yh.client.meeting?.rollCall?.current);
        const name = ids[current];
        assert.ok(name, `roll call current ${current} is one of the sites ${JSON.stringify(ids)}`);
        for (const p of [host, ...sites.filter((s) => s.label !== name)]) {
          await waitPage(p, (id) => window.__yh.layout().focus === id, current, `focus on ${name}`, 5000);
        }
        const quiet = names.filter((n) => n !== name);
        await waitForFlow(host, [name], { video: false, timeout: 5000 });
        await waitForNoFlow(host, quiet, { timeout: 5000 });
        const flow = await sampleFlow(host, names, 1500);
        const still = await host.page.evaluate(() => window.__yh.client.meeting?.rollCall?.current);
        if (still !== current) continue; // the timer moved on: check again
        assert.ok(flow[name].audioPackets > 0, `${step}: ${name} heard: ${JSON.stringify(flow)}`);
        for (const n of quiet) assert.equal(flow[n].audioPackets, 0, `${step}: ${n} not heard: ${JSON.stringify(flow)}`);
        for (const n of names) assert.ok(flow[n].frames > 0, `${step}: video of ${n} still flows: ${JSON.stringify(flow)}`);
        env.notes.push(`${step}: ${name} heard, flow ${JSON.stringify(flow)}`);
        return name;
      }
      throw new Error(`${step}: the roll call moved on during every check`);
    };

    const first = await checkCurrent('rollcall-2');
    assert.equal(first, 'Site 1', 'the roll call starts with the first site');
    const chip = await host.page.textContent('#rollcall-chip');
    assert.match(chip, /Site 1/, 'the roll-call chip names the current site');
    await shot(env, host, 'rollcall-2-site1');
    await shot(env, sites[2], 'rollcall-2-site1');

    const before = await host.page.evaluate(() => window.__yh.client.meeting.rollCall.current);
    await host.page.click('#rollcall-next');
    await waitPage(host, (id) => window.__yh.client.meeting?.rollCall?.current !== id, before, 'roll call next', 5000);
    const second = await checkCurrent('rollcall-3');
    assert.equal(second, 'Site 2', 'next calls the second site');
    await shot(env, host, 'rollcall-3-site2');
    await shot(env, sites[2], 'rollcall-3-site2');

    // Stop: everyone is heard again and the spotlight is gone.
    await host.page.click('#rollcall-stop');
    await waitPage(host, () => !window.__yh.client.meeting?.rollCall && window.__yh.layout().focus === null, null, 'roll call stopped', 5000);
    await waitForFlow(host, names, { video: false, timeout: 10000 });
    await shot(env, host, 'rollcall-4-stopped');
  });
});

// ---- 3. waiting room ----------------------------------------------------------

test('waiting room: a guest waits, is admitted and sees the host; another is denied', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('waiting', { adminKey: ADMIN_KEY }, async (env) => {
    const m = await createMeeting(env, { title: 'Interview', waitingRoom: true });
    const host = await joinPage(env, { meeting: m.number, name: 'Host', token: m.hostToken });

    const g1 = await joinPage(env, { meeting: m.number, name: 'Guest One', viewport: PHONE, until: 'waiting' });
    assert.equal(await g1.page.isVisible('#waiting-view'), true, 'the waiting screen is shown');
    assert.match(await g1.page.textContent('#waiting-view'), /Waiting for the host to let you in/);
    await shot(env, g1, 'waiting-1-guest-waits');

    await host.page.evaluate(() => window.__yh.openPanel('people'));
    await waitPage(host, () => document.querySelector('#waiting-list li[data-name="Guest One"]') !== null, null, 'Guest One in the waiting list');
    await shot(env, host, 'waiting-1-host-sees-guest');
    await clickPersonAction(host, { section: '#waiting-list', name: 'Guest One', action: 'admit' });
    await waitState(g1, 'joined');
    await waitTiles(g1, ['Host']);
    await waitForFlow(g1, ['Host']);
    await waitTiles(host, ['Guest One']);
    await shot(env, g1, 'waiting-2-guest-admitted');

    const g2 = await joinPage(env, { meeting: m.number, name: 'Guest Two', until: 'waiting' });
    await waitPage(host, () => document.querySelector('#waiting-list li[data-name="Guest Two"]') !== null, null, 'Guest Two in the waiting list');
    await clickPersonAction(host, { section: '#waiting-list', name: 'Guest Two', action: 'deny' });
    await waitState(g2, 'denied');
    assert.match(await g2.page.textContent('#left-text'), /did not let you in/);
    await waitPage(host, () => document.querySelectorAll('#waiting-list li').length === 0, null, 'waiting list empty');
    await shot(env, g2, 'waiting-3-guest-denied');
    assert.deepEqual(await tileNames(host), ['Guest One']);

    // Chat: a private line from the host, a line to everyone from the guest.
    await host.page.click('#chat-button');
    await host.page.selectOption('#chat-to', { label: 'Guest One' });
    await host.page.fill('#chat-input', 'Welcome, you are next');
    await host.page.click('#chat-send');
    await waitPage(g1, () => document.querySelector('#chat-unread').textContent === '1', null, 'an unread chat badge');
    await g1.page.click('#chat-button');
    await waitPage(g1, () => [...document.querySelectorAll('#chat-log .chat-msg.private')].some((li) => /Welcome, you are next/.test(li.textContent)), null, 'the private line');
    await g1.page.fill('#chat-input', 'Thanks!');
    await g1.page.click('#chat-send');
    await waitPage(host, () => [...document.querySelectorAll('#chat-log .chat-msg:not(.private)')].some((li) => /Guest One.*Thanks!/s.test(li.textContent)), null, 'the guest line');
    await shot(env, g1, 'waiting-4-chat');
    await g1.page.click('#chat-panel [data-close]');

    // The host mutes the guest (enforced), then asks to unmute (the guest decides).
    await waitForFlow(host, ['Guest One'], { video: false });
    await clickPersonAction(host, { name: 'Guest One', action: 'mute' });
    await waitPage(g1, () => document.querySelector('#mic-button').getAttribute('aria-pressed') === 'true', null, 'the guest muted');
    await waitForNoFlow(host, ['Guest One']);
    await clickPersonAction(host, { name: 'Guest One', action: 'ask-unmute' });
    await waitPage(g1, () => !document.querySelector('#banner-action').hidden, null, 'the ask-to-unmute banner');
    await shot(env, g1, 'waiting-5-ask-unmute');
    await g1.page.click('#banner-action');
    await waitForFlow(host, ['Guest One'], { video: false, timeout: 8000 });

    // Lock: the guest sees the lock; remove: the guest is told.
    await host.page.click('#lock-toggle');
    await waitPage(g1, () => !document.querySelector('#lock-indicator').hidden, null, 'the lock indicator');
    await clickPersonAction(host, { name: 'Guest One', action: 'remove' });
    await waitState(g1, 'left');
    assert.match(await g1.page.textContent('#left-text'), /removed/);
    await shot(env, g1, 'waiting-6-removed');

    // Unlocked again, a third guest waits and gives up; then the host ends the meeting.
    await host.page.click('#lock-toggle');
    await waitPage(host, () => window.__yh.client.meeting.locked === false, null, 'unlocked');
    const g3 = await joinPage(env, { meeting: m.number, name: 'Guest Three', until: 'waiting' });
    await waitPage(host, () => document.querySelector('#waiting-list li[data-name="Guest Three"]') !== null, null, 'Guest Three waiting');
    await g3.page.click('#waiting-leave');
    await waitState(g3, 'left');
    await waitPage(host, () => document.querySelectorAll('#waiting-list li').length === 0, null, 'Guest Three gone from the waiting list');
    host.page.once('dialog', (d) => d.accept());
    await host.page.click('#more-button');
    await host.page.click('#end-meeting');
    await waitState(host, 'left');
    assert.match(await host.page.textContent('#left-text'), /ended/);
    await shot(env, host, 'waiting-7-ended');
  });
});

// ---- 4. screen share -------------------------------------------------------------

test('screen share: shown large for everyone and decoded', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  // getDisplayMedia works headless with these switches (the whole fake
  // screen is picked without a dialog); YH_E2E_FAKE_SCREEN=1 falls back to a
  // canvas capture for browsers where it does not.
  const fake = process.env.YH_E2E_FAKE_SCREEN === '1';
  await withEnv('screen', { browserArgs: ['--auto-select-desktop-capture-source=Entire screen', '--enable-usermedia-screen-capturing'] }, async (env) => {
    const meeting = meetingNumber();
    const a = await joinPage(env, { meeting, name: 'Ann' });
    const b = await joinPage(env, { meeting, name: 'Ben', query: fake ? { fakescreen: 1 } : {} });
    const c = await joinPage(env, { meeting, name: 'Cat', viewport: PHONE });
    await waitForFlow(a, ['Ben', 'Cat']);
    await waitForFlow(c, ['Ann', 'Ben']);

    await b.page.click('#share-button');
    await waitPage(b, () => !!window.__yh.client.screenStream && window.__yh.client.pubMids.size >= 3, null, 'Ben sharing', 10000);
    const benId = await idOf(b);
    for (const p of [a, c]) {
      await waitPage(p, (id) => window.__yh.layout().focus === `screen:${id}` && window.__yh.layout().tiles.some((t) => t.source === 'screen' && t.rendering), benId, 'the screen share large and rendering');
      const flow = await sampleFlow(p, ['Ben'], 1500);
      assert.ok(flow.Ben.screenFrames > 0 && flow.Ben.screenWidth > 0, `${p.label} decodes Ben's screen: ${JSON.stringify(flow.Ben)}`);
      const { tiles } = await p.page.evaluate(() => window.__yh.layout());
      const screen = tiles.find((t) => t.source === 'screen');
      const cams = tiles.filter((t) => t.source === 'camera' && t.where !== 'hidden');
      assert.equal(screen.where, 'focus');
      for (const t of cams) assert.ok(screen.width * screen.height > 4 * t.width * t.height, `${p.label}: the screen (${screen.width}x${screen.height}) is much larger than ${t.name}'s tile (${t.width}x${t.height})`);
      assert.ok(await p.page.isVisible('.tile[data-source="screen"]'), 'a tile with data-source="screen" is visible');
      env.notes.push(`${p.label}: screen ${screen.width}x${screen.height}, flow ${JSON.stringify(flow.Ben)}`);
    }
    await shot(env, a, 'screen-1-sharing');
    await shot(env, c, 'screen-1-sharing');
    await shot(env, b, 'screen-1-sharing');

    // Ben stops: the screen tile goes and the gallery is back.
    await b.page.click('#share-chip-stop');
    for (const p of [a, c]) {
      await waitPage(p, () => window.__yh.layout().focus === null && !window.__yh.layout().tiles.some((t) => t.source === 'screen'), null, 'the screen share gone');
    }
    await waitForFlow(a, ['Ben'], { audio: false, timeout: 8000 });
    await shot(env, a, 'screen-2-stopped');

    // Device choice in the meeting: Ann picks another microphone from the
    // More panel; the track is replaced without renegotiation and Cat still
    // hears her.
    await a.page.click('#more-button');
    await waitPage(a, () => document.querySelectorAll('#meeting-mic-select option').length > 0, null, 'microphones listed');
    const mics = await a.page.evaluate(() => [...document.querySelectorAll('#meeting-mic-select option')].map((o) => o.value));
    const current = await a.page.evaluate(() => window.__yh.client.currentDevice('audio'));
    const other = mics.find((id) => id && id !== current && id !== 'default');
    if (other) {
      const before = await a.page.evaluate(() => window.__yh.client.localStream.getAudioTracks()[0].id);
      await a.page.selectOption('#meeting-mic-select', other);
      await waitPage(a, (id) => window.__yh.client.currentDevice('audio') === id, other, 'the other microphone in use');
      const after = await a.page.evaluate(() => ({ track: window.__yh.client.localStream.getAudioTracks()[0].id, sent: window.__yh.client.pubPc.getSenders().some((s) => s.track === window.__yh.client.localStream.getAudioTracks()[0]) }));
      assert.notEqual(after.track, before, 'a new microphone track');
      assert.ok(after.sent, 'the new track is the one sent');
      await waitForFlow(c, ['Ann'], { video: false, timeout: 8000 });
      env.notes.push(`microphone switched to ${other.slice(0, 12)}…; Cat still hears Ann`);
    } else {
      env.notes.push(`only one microphone (${JSON.stringify(mics)}): device switch not exercised`);
    }
  });
});

// ---- 5. start page and usage ------------------------------------------------------

test('start page: a host signs in, creates and starts a meeting; the usage page charts it', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'yunhui-e2e-data-'));
  try {
    const add = spawnSync(serverBinary(), ['--data-dir', dataDir, '--add-host', 'alice'], { input: 'correct horse\n', encoding: 'utf8', timeout: 20000 });
    assert.equal(add.status, 0, `--add-host failed: ${add.stderr}`);
    await withEnv('start', { adminKey: ADMIN_KEY, serverArgs: ['--data-dir', dataDir] }, async (env) => {
      const home = await openParticipant(env.browser, env.srv.baseUrl, { label: 'Alice', query: { w: 320, h: 240, fps: 15 } });
      env.parts.push(home);
      const page = home.page;
      await page.click('#host-box summary');
      await page.fill('#login-user', 'alice');
      await page.fill('#login-password', 'wrong');
      await page.click('#login-button');
      await waitPage(home, () => /Wrong/.test(document.querySelector('#login-error').textContent), null, 'wrong password refused');
      await page.fill('#login-password', 'correct horse');
      await page.click('#login-button');
      await waitPage(home, () => !document.querySelector('#host-session').hidden, null, 'signed in');
      await page.fill('#create-title', 'Weekly dispatch');
      await page.click('#create-button');
      await waitPage(home, () => !document.querySelector('#create-result').hidden, null, 'meeting created');
      const number = (await page.textContent('#created-number')).replace(/\s/g, '');
      assert.match(number, /^\d{6,}$/);
      await shot(env, home, 'start-1-created');

      await page.fill('#name-input', 'Alice');
      await page.click('#created-start');
      await waitState(home, 'joined');
      assert.equal(await page.evaluate(() => window.__yh.client.self.role), 'host', 'the host token makes Alice the host');
      const guest = await joinPage(env, { meeting: number, name: 'Guest' });
      assert.equal(await guest.page.evaluate(() => window.__yh.client.self.role), 'attendee');
      await waitForFlow(home, ['Guest']);
      await sleep(3000);
      await guest.page.click('#leave-button');
      await page.click('#leave-button');
      await waitState(home, 'left');

      // Usage is for the admin: the host's session is refused, the key works.
      await page.goto(`${env.srv.baseUrl}/usage.html`);
      await waitPage(home, () => /admin key/.test(document.querySelector('#usage-error').textContent), null, 'the session refused for usage');
      await page.fill('#usage-key', env.adminKey);
      await page.click('#usage-load');
      await waitPage(home, () => document.body.dataset.loaded === 'yes', null, 'usage loaded');
      const chart = await page.evaluate(() => ({
        days: [...document.querySelectorAll('#chart-days rect.bar')].map((r) => [r.dataset.label, Number(r.dataset.value)]),
        meetings: [...document.querySelectorAll('#chart-meetings rect.bar')].map((r) => [r.dataset.label, Number(r.dataset.value)]),
        count: document.querySelector('#sum-meetings').textContent,
      }));
      env.notes.push(`usage chart: ${JSON.stringify(chart)}`);
      assert.equal(chart.days.length, 14, 'one bar per day of the default two weeks');
      const today = new Date().toISOString().slice(0, 10);
      assert.ok(chart.days.some(([d, v]) => d === today && v > 0), `today has meeting hours: ${JSON.stringify(chart.days)}`);
      assert.ok(chart.meetings.some(([label, v]) => label.includes('Weekly dispatch') && v > 0), `the meeting has a bar: ${JSON.stringify(chart.meetings)}`);
      await shot(env, home, 'start-2-usage');
      await page.setViewportSize(PHONE);
      await page.click('#usage-load');
      await waitPage(home, () => document.querySelector('#chart-days svg')?.getAttribute('viewBox')?.startsWith('0 0 360'), null, 'phone-sized chart');
      await shot(env, home, 'start-3-usage-phone');
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---- 6. gallery pages and speaker view ----------------------------------------------

test('gallery shows 25 tiles a page (6 on a phone); speaker view follows active-speaker; spotlight is large', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withEnv('gallery', {}, async (env) => {
    const viewer = await joinPage(env, { meeting: meetingNumber(), name: 'Viewer' });
    // Thirty participants without media, as the server would announce them.
    await viewer.page.evaluate(() => {
      for (let i = 1; i <= 30; i++) {
        const n = String(i).padStart(2, '0');
        window.__yh.inject({ type: 'participant-joined', participant: { id: `px${i}`, name: `P${n}`, role: 'attendee', hand: false, audioMuted: true, videoMuted: true, joinedAt: new Date().toISOString() } });
      }
    });
    const visible = async () => (await viewer.page.evaluate(() => window.__yh.layout().tiles)).filter((t) => t.where === 'grid').length;
    await waitPage(viewer, () => window.__yh.tiles().length === 30, null, '30 tiles');
    await waitPage(viewer, () => window.__yh.layout().tiles.filter((t) => t.where === 'grid').length === 25, null, '25 tiles on page 1');
    assert.equal(await viewer.page.textContent('#page-label'), '1 / 2');
    await shot(env, viewer, 'gallery-1-page1');
    await viewer.page.click('#page-next');
    await waitPage(viewer, () => window.__yh.layout().tiles.filter((t) => t.where === 'grid').length === 5, null, '5 tiles on page 2');
    assert.equal(await viewer.page.textContent('#page-label'), '2 / 2');

    // Speaker view: the loudest is large, the others in the strip.
    await viewer.page.click('#more-button');
    await viewer.page.click('#view-speaker');
    await viewer.page.click('#more-panel [data-close]');
    await viewer.page.evaluate(() => window.__yh.inject({ type: 'active-speaker', ids: ['px7', 'px2'] }));
    await waitPage(viewer, () => window.__yh.layout().focus === 'px7', null, 'px7 large');
    await viewer.page.evaluate(() => window.__yh.inject({ type: 'active-speaker', ids: ['px12'] }));
    await waitPage(viewer, () => window.__yh.layout().focus === 'px12', null, 'px12 large');
    const { tiles } = await viewer.page.evaluate(() => window.__yh.layout());
    const big = tiles.find((t) => t.key === 'px12');
    const small = tiles.find((t) => t.where === 'strip');
    assert.ok(big.width > 3 * small.width, `the speaker's tile (${big.width}) is larger than the strip's (${small.width})`);
    await shot(env, viewer, 'gallery-2-speaker');

    // Back to the gallery on a phone: six a page; a spotlight is large for everyone.
    await viewer.page.click('#more-button');
    await viewer.page.click('#view-gallery');
    await viewer.page.click('#more-panel [data-close]');
    await viewer.page.setViewportSize(PHONE);
    await waitPage(viewer, () => window.__yh.layout().tiles.filter((t) => t.where === 'grid').length === 6, null, '6 tiles a page on a phone');
    assert.match(await viewer.page.textContent('#page-label'), / \/ 5$/);
    assert.equal(await visible(), 6);
    await shot(env, viewer, 'gallery-3-phone');
    await viewer.page.evaluate(() => {
      const m = window.__yh.client.meeting;
      window.__yh.inject({ type: 'meeting-updated', meeting: { ...m, spotlight: 'px3' } });
    });
    await waitPage(viewer, () => window.__yh.layout().focus === 'px3', null, 'spotlight px3 large');
    await shot(env, viewer, 'gallery-4-spotlight-phone');
  });
});
