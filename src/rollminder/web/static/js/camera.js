/* The camera page: the live view (getUserMedia) with the first photo of the angle as a ghost
 * over it (opacity slider, mirror), and the shot sent as a JPEG to POST /photos, where it is
 * cleaned like an upload. Nothing is kept in the browser. */
"use strict";
(function () {
  var video = document.getElementById("live");
  var ghost = document.getElementById("ghost");
  var opacity = document.getElementById("ghost-opacity");
  var mirror = document.getElementById("mirror");
  var shoot = document.getElementById("shoot");
  var frame = document.getElementById("frame");
  var finder = document.getElementById("viewfinder");
  var status = document.getElementById("camera-status");
  if (!video || !shoot) {
    return;
  }
  function say(text) {
    status.textContent = text;
  }
  function mirrored() {
    finder.classList.toggle("mirrored", mirror.checked);
  }
  mirror.addEventListener("change", mirrored);
  mirrored();
  if (ghost && opacity) {
    var fade = function () {
      ghost.style.opacity = String(opacity.value / 100);
    };
    opacity.addEventListener("input", fade);
    fade();
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say("This browser cannot open the camera here (it needs https or this computer): upload a photo instead.");
    return;
  }
  navigator.mediaDevices
    .getUserMedia({ video: { facingMode: "user", width: { ideal: 1920 } }, audio: false })
    .then(function (stream) {
      video.srcObject = stream;
      return video.play();
    })
    .then(function () {
      shoot.disabled = false;
      say("Camera ready.");
    })
    .catch(function () {
      say("The camera could not be opened: allow it, or upload a photo instead.");
    });
  shoot.addEventListener("click", function () {
    var w = video.videoWidth;
    var h = video.videoHeight;
    if (!w || !h) {
      say("No picture from the camera yet.");
      return;
    }
    frame.width = w;
    frame.height = h;
    var ctx = frame.getContext("2d");
    if (mirror.checked) {
      ctx.translate(w, 0);
      ctx.scale(-1, 1);
    }
    ctx.drawImage(video, 0, 0, w, h);
    shoot.disabled = true;
    say("Saving…");
    frame.toBlob(
      function (blob) {
        var body = new FormData();
        body.append("photo", blob, "camera.jpg");
        body.append("angle", shoot.dataset.angle);
        body.append("area", shoot.dataset.area || "");
        try {
          body.append("tz", Intl.DateTimeFormat().resolvedOptions().timeZone || "");
        } catch (e) {
          /* the zone the person is in is the server's guess then */
        }
        fetch("/photos", {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRF-Token": shoot.dataset.token, Accept: "application/json" },
        })
          .then(function (r) {
            return r.json().then(function (data) {
              return { ok: r.ok, data: data };
            });
          })
          .then(function (answer) {
            shoot.disabled = false;
            if (answer.ok) {
              say("Photo saved: location and camera data removed.");
              shoot.dataset.saved = answer.data.id;
            } else {
              say(answer.data.error || "The photo could not be saved.");
            }
          })
          .catch(function () {
            shoot.disabled = false;
            say("The photo could not be saved: is rollminder running?");
          });
      },
      "image/jpeg",
      0.92
    );
  });
})();
