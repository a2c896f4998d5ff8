// Passkeys and security keys (WebAuthn) for leakdesk's second factor. Loaded as a static file
// (the CSP allows no inline script). Buttons carry data-passkey="register" or "login"; the server
// sends the ceremony options as JSON with base64url binary fields and takes the answer back the
// same way.
(function () {
  'use strict';

  function dec(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function enc(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function csrf() {
    var el = document.querySelector('input[name="_csrf"]');
    return el ? el.value : '';
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { ok: r.ok, body: j }; });
    });
  }

  function show(btn, msg) {
    var el = document.querySelector('[data-testid="passkey-error"]');
    if (!el) return;
    el.textContent = msg || btn.getAttribute('data-failed');
    el.hidden = false;
  }

  function register(btn) {
    return post('/account/passkeys/begin').then(function (res) {
      if (!res.ok) throw res.body.error;
      var pk = res.body.publicKey;
      pk.challenge = dec(pk.challenge);
      pk.user.id = dec(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = dec(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      return post('/account/passkeys/finish', {
        id: cred.id, rawId: enc(cred.rawId), type: cred.type,
        response: {
          clientDataJSON: enc(cred.response.clientDataJSON),
          attestationObject: enc(cred.response.attestationObject),
          transports: cred.response.getTransports ? cred.response.getTransports() : []
        }
      });
    });
  }

  function login(btn) {
    return post('/login/mfa/passkey/begin').then(function (res) {
      if (!res.ok) throw res.body.error;
      var pk = res.body.publicKey;
      pk.challenge = dec(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = dec(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      return post('/login/mfa/passkey/finish', {
        id: cred.id, rawId: enc(cred.rawId), type: cred.type,
        response: {
          clientDataJSON: enc(cred.response.clientDataJSON),
          authenticatorData: enc(cred.response.authenticatorData),
          signature: enc(cred.response.signature),
          userHandle: cred.response.userHandle ? enc(cred.response.userHandle) : ''
        }
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-passkey]').forEach(function (btn) {
      btn.addEventListener('click', function (ev) {
        ev.preventDefault();
        btn.disabled = true;
        var run = btn.getAttribute('data-passkey') === 'register' ? register : login;
        run(btn).then(function (res) {
          if (!res.ok) throw res.body.error;
          window.location.assign(res.body.redirect);
        }).catch(function (e) {
          show(btn, typeof e === 'string' ? e : '');
          btn.disabled = false;
        });
      });
    });
  });
})();
