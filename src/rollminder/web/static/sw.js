/* rollminder's service worker, served from /sw.js (scope "/") by web/session.py, which fills in
 * VERSION (a hash of the static files) and SHELL (their URLs).
 *
 * What it caches: the static shell only (/static/: CSS, JS, icons, the manifest), precached at
 * install under a cache named by VERSION; a new version of any static file makes a new worker and
 * the old caches are deleted when it activates.
 * What it never caches: pages (the dashboard, history, the log: they show the person's data and must
 * never be stale), JSON, and anything that is not a GET. Pages go to the network; only when the
 * network fails does a navigation get a short "offline" page, made here, holding no data.
 *
 * Reminders by Web Push (issue 16; web/push.py, remind/webpush.py): "push" shows the reminder
 * from its JSON payload (title, body, tag, and for a session reminder its Done and Snooze with
 * the paths of the action-token links /act/TOKEN/done|snooze). A button POSTs its link on this
 * origin (no cookie, no CSRF token: the token is the credential; web/auth.py's act) and says
 * what happened in a short notification, without opening the app; tapping the reminder itself
 * opens the app. Neither the payload nor the POST's answer is ever cached (only the GETs of
 * /static/ are, above).
 */
"use strict";

var VERSION = "dev";
var SHELL = [];
var CACHE = "rollminder-shell-" + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        return cache.addAll(SHELL);
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("rollminder-shell-") === 0 && name !== CACHE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

var OFFLINE_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  "<title>Offline · rollminder</title></head><body>" +
  "<h1>rollminder is not reachable</h1>" +
  "<p>The app runs on your computer: start it with <code>rollminder serve</code>, " +
  "check that this device can reach it, then reload this page.</p></body></html>";

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return; // POSTs and the like always go to the server, untouched
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // The shell: from the cache (filled at install), else the network.
    event.respondWith(
      caches.match(request, { cacheName: CACHE }).then(function (hit) {
        return hit || fetch(request);
      })
    );
    return;
  }
  if (request.mode === "navigate") {
    // Pages: always the network, never stored; a made-up offline page when it fails.
    event.respondWith(
      fetch(request).catch(function () {
        return new Response(OFFLINE_PAGE, {
          status: 503,
          headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
        });
      })
    );
  }
});

// -- Web Push: reminders with Done and Snooze -----------------------------------------------------

var ICON = "/static/icons/icon-192.png";

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { title: "rollminder", body: event.data ? event.data.text() : "" };
  }
  var urls = {};
  var buttons = [];
  (Array.isArray(data.actions) ? data.actions : []).forEach(function (a) {
    if (a && typeof a.url === "string" && /^\/act\/[A-Za-z0-9_-]+\/(done|snooze)$/.test(a.url)) {
      urls[a.action] = a.url;
      buttons.push({ action: String(a.action), title: String(a.title || a.action) });
    }
  });
  event.waitUntil(
    self.registration.showNotification(String(data.title || "rollminder"), {
      body: String(data.body || ""),
      tag: String(data.tag || "rollminder"),
      renotify: true,
      icon: ICON,
      actions: buttons,
      data: { urls: urls },
    })
  );
});

function plainText(text) {
  // The app's answer: one line of text, or its small error fragment (<p class="msg">...</p>).
  return text
    .replace(/<[^>]*>/g, " ")
    .replace(/&#39;/g, "'")
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

function openApp() {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if ("focus" in list[i]) {
        return list[i].focus();
      }
    }
    return self.clients.openWindow("/");
  });
}

function act(notification, action) {
  var urls = (notification.data && notification.data.urls) || {};
  var url = urls[action];
  notification.close();
  if (!url) {
    return openApp();
  }
  var tag = (notification.tag || "rollminder") + "-answer";
  return fetch(url, {
    method: "POST",
    credentials: "omit",
    cache: "no-store",
    headers: { Accept: "text/plain", "HX-Request": "true" },
  })
    .then(function (response) {
      return response.text().then(function (text) {
        var line = plainText(text).slice(0, 200);
        var title = response.ok ? (action === "done" ? "Session logged" : "Snoozed") : "Nothing changed";
        if (!line) {
          line = response.ok ? "Done." : "That did not work: open the app to see why.";
        }
        return self.registration.showNotification(title, { body: line, tag: tag, icon: ICON, data: { urls: {} } });
      });
    })
    .catch(function () {
      return self.registration.showNotification("rollminder is not reachable", {
        body: "Nothing was changed: open the app when this device can reach it.",
        tag: tag,
        icon: ICON,
        data: { urls: {} },
      });
    });
}

self.addEventListener("notificationclick", function (event) {
  var done = act(event.notification, event.action);
  try {
    event.waitUntil(done);
  } catch (e) {
    /* an event a script made (not the browser's): nothing to keep the worker alive for */
  }
});
