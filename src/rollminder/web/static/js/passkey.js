// Passkeys (hosted mode): the buttons marked data-passkey="signin" or "register" run the
// WebAuthn ceremonies with the server's options (web/passkeys.py). Hidden where the browser
// has no WebAuthn.
(function () {
  "use strict";
  if (!window.PublicKeyCredential) return;
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  var errorBox = document.getElementById("passkey-error");

  function bytes(b64url) {
    var text = atob(b64url.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out.buffer;
  }
  function b64url(buffer) {
    var text = "";
    new Uint8Array(buffer).forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: Object.assign({"Content-Type": "application/json"}, headers),
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || "That did not work.");
        return data;
      });
    });
  }
  function fail(err) {
    if (!errorBox) return;
    errorBox.textContent = err && err.name === "NotAllowedError"
      ? "The passkey request was cancelled." : (err.message || "That did not work.");
    errorBox.hidden = false;
  }

  function signin() {
    post("/account/passkey/signin-options").then(function (o) {
      o.challenge = bytes(o.challenge);
      (o.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      return navigator.credentials.get({publicKey: o});
    }).then(function (c) {
      return post("/account/passkey/signin", {credential: {
        id: c.id, rawId: b64url(c.rawId), type: c.type,
        response: {
          clientDataJSON: b64url(c.response.clientDataJSON),
          authenticatorData: b64url(c.response.authenticatorData),
          signature: b64url(c.response.signature),
          userHandle: c.response.userHandle ? b64url(c.response.userHandle) : null
        }
      }});
    }).then(function (r) { window.location.assign(r.next || "/"); }, fail);
  }

  function register(event, signup) {
    var email = document.getElementById("email");
    var start = signup
      ? post("/signup/passkey-options", {email: email ? email.value : ""})
      : post("/account/passkey/register-options");
    start.then(function (o) {
      o.challenge = bytes(o.challenge);
      o.user.id = bytes(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
      return navigator.credentials.create({publicKey: o});
    }).then(function (c) {
      return post(signup ? "/signup/passkey" : "/account/passkey/register", {name: navigator.platform || "Passkey", credential: {
        id: c.id, rawId: b64url(c.rawId), type: c.type,
        response: {
          clientDataJSON: b64url(c.response.clientDataJSON),
          attestationObject: b64url(c.response.attestationObject)
        }
      }});
    }).then(function (r) {
      if (r.next) window.location.assign(r.next); else window.location.reload();
    }, fail);
  }

  document.querySelectorAll("[data-passkey]").forEach(function (button) {
    button.hidden = false;
    var kind = button.dataset.passkey;
    button.addEventListener("click", kind === "signin" ? signin : function (event) {
      register(event, kind === "signup");
    });
  });
})();
