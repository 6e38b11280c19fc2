// The start page's host box: sign-in (POST /api/login, a session token kept
// in localStorage) and "create meeting" (POST /api/meetings with the
// session token or the admin key).

import { $, formatNumber, showBanner } from './util.js';

export const SESSION_KEY = 'yunhui.session';

/** The signed-in host's session {token, name, expiresAt} or null. */
export function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
    if (!s?.token) return null;
    if (s.expiresAt && Date.parse(s.expiresAt) < Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

function saveSession(s) {
  try {
    if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    /* private mode */
  }
}

/** fetch JSON; rejects with the API's {error:{code,message}} text. */
export async function apiFetch(path, { method = 'GET', token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? (res.status === 404 ? 'this server has no such API' : `HTTP ${res.status}`));
    err.status = res.status;
    err.code = data?.error?.code ?? String(res.status);
    throw err;
  }
  return data;
}

export class HostBox {
  /** `onStart({meeting, token})` joins a created meeting as its host. */
  constructor({ onStart }) {
    this.onStart = onStart;
    this.created = null;
    $('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.login();
    });
    $('logout-button').addEventListener('click', () => {
      const s = loadSession();
      if (s) apiFetch('/api/logout', { method: 'POST', token: s.token }).catch(() => {});
      saveSession(null);
      this.render();
    });
    $('create-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.create();
    });
    $('created-start').addEventListener('click', () => {
      if (this.created) this.onStart({ meeting: this.created.number, token: this.created.hostToken });
    });
    $('created-copy').addEventListener('click', async () => {
      const c = this.created;
      if (!c) return;
      const url = c.joinUrl ? new URL(c.joinUrl, location.href).href : `${location.origin}${location.pathname}?m=${c.number}`;
      try {
        await navigator.clipboard.writeText(url);
        showBanner('Invite link copied.', { kind: 'info', timeoutMs: 2500 });
      } catch {
        showBanner(`Invite link: ${url}`, { kind: 'info' });
      }
    });
    this.render();
  }

  render() {
    const s = loadSession();
    $('login-form').hidden = !!s;
    $('host-session').hidden = !s;
    $('host-name').textContent = s?.name ?? '';
    $('create-key').hidden = !!s;
    $('create-key-label').hidden = !!s;
  }

  async login() {
    const name = $('login-user').value.trim();
    const password = $('login-password').value;
    $('login-error').textContent = '';
    if (!name || !password) {
      $('login-error').textContent = 'Enter your name and password.';
      return;
    }
    $('login-button').disabled = true;
    try {
      const r = await apiFetch('/api/login', { method: 'POST', body: { user: name, password } });
      const token = r?.token ?? r?.sessionToken;
      if (!token) throw new Error('the server sent no session token');
      saveSession({ token, name: r.user ?? name, expiresAt: r.expiresAt ?? null });
      $('login-password').value = '';
      this.render();
    } catch (e) {
      $('login-error').textContent = e.status === 401 || e.status === 403 ? 'Wrong name or password.' : `Sign-in failed: ${e.message}`;
    } finally {
      $('login-button').disabled = false;
    }
  }

  async create() {
    const s = loadSession();
    const token = s?.token ?? $('create-key').value.trim();
    $('create-error').textContent = '';
    if (!token) {
      $('create-error').textContent = 'Sign in, or enter the admin key.';
      return;
    }
    const body = {
      title: $('create-title').value.trim() || 'Meeting',
      waitingRoom: $('create-waiting').checked,
      muteOnEntry: $('create-muted').checked,
      publish: $('create-speakers').checked ? 'speakers' : 'everyone',
    };
    const pass = $('create-passcode').value.trim();
    if (pass) body.passcode = pass;
    $('create-button').disabled = true;
    try {
      const r = await apiFetch('/api/meetings', { method: 'POST', token, body });
      if (!r?.number) throw new Error('the server sent no meeting number');
      this.created = r;
      $('created-number').textContent = formatNumber(r.number);
      $('create-result').hidden = false;
    } catch (e) {
      if (s && (e.status === 401 || e.status === 403)) {
        saveSession(null);
        this.render();
      }
      $('create-error').textContent = `Could not create: ${e.message}`;
    } finally {
      $('create-button').disabled = false;
    }
  }
}
