/* rollminder: registers the service worker (/sw.js) that keeps the static shell for offline use.
 *
 * Browsers allow service workers only in a secure context: https, or http on localhost and
 * 127.0.0.1. A phone opening http://192.168.x.y gets none, and the app works the same without it.
 */
(function () {
  "use strict";

  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    return;
  }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      /* the app works without it */
    });
  });
})();
