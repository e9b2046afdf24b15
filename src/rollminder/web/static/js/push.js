/* rollminder: Web Push on this device (Settings, "Notifications on this device").
 *
 * Asks for the notification permission only when "Turn on" is tapped (never on load), subscribes
 * this browser with the server's VAPID key (/push/key) and hands the subscription to the server
 * (/push/subscribe), named after the browser ("Chrome on Android"). "Turn off" unsubscribes.
 * The reminders then arrive in the service worker (/sw.js), which shows them with Done and Snooze.
 *
 * Push needs a secure context: https, or http://127.0.0.1 / localhost on the computer itself.
 */
(function () {
  "use strict";

  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  var status = document.getElementById("push-status");
  var list = document.getElementById("push-devices");
  if (!on || !off || !status || !list) {
    return;
  }

  function say(text) {
    status.textContent = text;
  }

  // The devices' list: our own server-rendered, escaped fragment (GET /push/devices); its Remove
  // buttons post here and get the list back (without JavaScript they post and come back to
  // Settings).
  function fill(response) {
    return response.text().then(function (html) {
      if (response.ok) {
        list.innerHTML = html;
      }
    });
  }

  function refresh() {
    return fetch("/push/devices", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(fill)
      .catch(function () {
        list.textContent = "The devices could not be loaded: reload the page.";
      });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.getAttribute("action") !== "/push/devices/remove") {
      return;
    }
    event.preventDefault();
    fetch("/push/devices/remove", {
      method: "POST",
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      body: new FormData(form),
    })
      .then(fill)
      .catch(function () {
        say("That did not work: try again.");
      });
  });

  refresh();

  if (!window.isSecureContext) {
    say(
      "Notifications need a secure address: open this app over https, " +
        "or at http://127.0.0.1 on the computer it runs on."
    );
    return;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot show notifications from web apps.");
    return;
  }

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: JSON.stringify(data),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.error || "The app refused this device.");
        }
        return body;
      });
    });
  }

  function deviceName() {
    var ua = navigator.userAgent;
    var browser = "Browser";
    var system = "";
    if (/Edg\//.test(ua)) browser = "Edge";
    else if (/Firefox\//.test(ua)) browser = "Firefox";
    else if (/Chromium\//.test(ua)) browser = "Chromium";
    else if (/Chrome\//.test(ua)) browser = "Chrome";
    else if (/Safari\//.test(ua)) browser = "Safari";
    if (/Android/.test(ua)) system = "Android";
    else if (/iPhone/.test(ua)) system = "iPhone";
    else if (/iPad/.test(ua)) system = "iPad";
    else if (/Windows/.test(ua)) system = "Windows";
    else if (/Mac OS X/.test(ua)) system = "Mac";
    else if (/CrOS/.test(ua)) system = "Chromebook";
    else if (/Linux/.test(ua)) system = "Linux";
    return system ? browser + " on " + system : browser;
  }

  function keyBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      out[i] = raw.charCodeAt(i);
    }
    return out;
  }

  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
  }

  registration()
    .then(function (reg) {
      return reg.pushManager.getSubscription();
    })
    .then(function (sub) {
      show(!!sub && Notification.permission === "granted");
      if (Notification.permission === "denied") {
        say("Notifications are blocked for this app: allow them in the browser's site settings first.");
      }
    })
    .catch(function () {
      show(false);
    });

  on.addEventListener("click", function () {
    on.disabled = true;
    say("Asking this browser…");
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          throw new Error(
            "Notifications are not allowed for this app: allow them in the browser's site settings, then try again."
          );
        }
        return Promise.all([
          registration(),
          fetch("/push/key", { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
            function (r) {
              return r.json();
            }
          ),
        ]);
      })
      .then(function (both) {
        return both[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(both[1].key) });
      })
      .then(function (sub) {
        return post("/push/subscribe", { subscription: sub.toJSON(), name: deviceName() });
      })
      .then(function (device) {
        say("Notifications are on for " + device.name + ". Reminders arrive here from now on.");
        show(true);
        refresh();
      })
      .catch(function (error) {
        var text = error && error.message ? error.message : "";
        if (!/allow|refused|subscription|key/i.test(text)) {
          text = "This browser could not subscribe (its push service may be unreachable): try again later.";
        }
        say(text);
      })
      .then(function () {
        on.disabled = false;
      });
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    registration()
      .then(function (reg) {
        return reg.pushManager.getSubscription();
      })
      .then(function (sub) {
        if (!sub) {
          return null;
        }
        return post("/push/unsubscribe", { endpoint: sub.endpoint }).then(function () {
          return sub.unsubscribe();
        });
      })
      .then(function () {
        say("Notifications are off on this device.");
        show(false);
        refresh();
      })
      .catch(function () {
        say("That did not work: try again.");
      })
      .then(function () {
        off.disabled = false;
      });
  });
})();
