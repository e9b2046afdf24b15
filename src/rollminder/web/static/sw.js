/* rollminder's service worker, served from /sw.js (scope "/") by web/session.py, which fills in
 * VERSION (a hash of the static files) and SHELL (their URLs).
 *
 * What it caches: the static shell only (/static/: CSS, JS, icons, the manifest), precached at
 * install under a cache named by VERSION; a new version of any static file makes a new worker and
 * the old caches are deleted when it activates.
 * What it never caches: pages (the dashboard, history, the log: they show the person's data and must
 * never be stale), JSON, and anything that is not a GET. Pages go to the network; only when the
 * network fails does a navigation get a short "offline" page, made here, holding no data.
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
