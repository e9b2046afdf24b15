/* rollminder: the guided session player (templates/session/player.html).
 *
 * The step list comes from the server as a JSON data block (#guide-data, the shape of
 * rollminder.guide.Guide.to_json). Timing: every timed step has a deadline on the
 * performance.now() clock; the next step's deadline is the previous deadline plus its seconds,
 * so the session never drifts however late the timer callbacks run (a tick only reads the clock,
 * it never adds up delays). Pause keeps the time left; resume sets a new deadline from it.
 * What was really rolled is measured the same way and posted with the log form.
 *
 * No inline script anywhere (the CSP is script-src 'self'): this file is loaded with defer.
 */
(function () {
  "use strict";

  var root = document.getElementById("player");
  var data = document.getElementById("guide-data");
  if (!root || !data) {
    return;
  }
  var guide = JSON.parse(data.textContent);
  var steps = guide.steps;
  var labels = guide.direction_labels || {};
  var rollIndexes = [];
  steps.forEach(function (step, i) {
    if (step.kind === "roll") {
      rollIndexes.push(i);
    }
  });
  var totalMs = guide.total_seconds * 1000;
  var TICK_MS = 200;

  function $(id) {
    return document.getElementById(id);
  }

  var el = {
    title: $("step-title"),
    count: $("step-count"),
    lines: $("step-lines"),
    passes: $("step-passes"),
    direction: $("step-direction"),
    timer: $("step-timer"),
    stepBar: $("step-progress"),
    overallBar: $("overall-progress"),
    overallText: $("overall-text"),
    start: $("btn-start"),
    soak: $("btn-soak"),
    soakStatus: $("soak-status"),
    pause: $("btn-pause"),
    skip: $("btn-skip"),
    finish: $("btn-finish"),
    controls: $("controls"),
    announce: $("announce"),
    beep: $("opt-beep"),
    speak: $("opt-speak"),
    wake: $("wake-status"),
    arrow: $("dir-arrow"),
    arrowBack: $("dir-arrow-back"),
    logSection: $("log-section"),
    logHeading: $("log-heading"),
    logSummary: $("log-summary"),
    logForm: $("log-form"),
    nothing: $("nothing-rolled"),
    rolled: $("f-rolled"),
    elapsed: $("f-elapsed"),
    zones: $("f-zones"),
  };

  // ------------------------------------------------------------------ state

  var state = {
    phase: "prep", // prep | running | paused | aftercare | log
    index: 0,
    deadline: 0, // performance.now() at which the current timed step ends (running)
    remaining: 0, // ms left in the current step (paused)
    segmentStart: 0, // performance.now() when the current stretch of rolling began
    startedAt: 0, // performance.now() when rolling began
    rolledMs: steps.map(function () {
      return 0;
    }),
    timer: null,
  };

  function now() {
    return performance.now();
  }

  // ------------------------------------------------------------------ options (kept per browser)

  function loadOption(input, key, fallback) {
    if (!input) {
      return;
    }
    var stored = null;
    try {
      stored = window.localStorage.getItem(key);
    } catch (e) {
      stored = null;
    }
    input.checked = stored === null ? fallback : stored === "1";
    input.addEventListener("change", function () {
      try {
        window.localStorage.setItem(key, input.checked ? "1" : "0");
      } catch (e) {
        /* private mode: the choice lasts for this page only */
      }
    });
  }
  loadOption(el.beep, "rollminder.beep", true);
  loadOption(el.speak, "rollminder.speak", false);
  if (el.speak && !("speechSynthesis" in window)) {
    el.speak.checked = false;
    el.speak.disabled = true;
  }

  // ------------------------------------------------------------------ sound, speech, wake lock

  var audio = null;

  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) {
      try {
        audio = new Ctx();
      } catch (e) {
        audio = null;
      }
    }
    if (audio && audio.state === "suspended") {
      audio.resume();
    }
  }

  function beep(frequency, ms) {
    if (!audio || !el.beep || !el.beep.checked) {
      return;
    }
    var t = audio.currentTime;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + ms / 1000);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(t);
    osc.stop(t + ms / 1000 + 0.02);
  }

  function speak(text) {
    if (!el.speak || !el.speak.checked || !("speechSynthesis" in window)) {
      return;
    }
    try {
      window.speechSynthesis.cancel();
      var utterance = new window.SpeechSynthesisUtterance(text);
      utterance.lang = document.documentElement.lang || "en";
      window.speechSynthesis.speak(utterance);
    } catch (e) {
      /* no voice: the screen and the beep still guide */
    }
  }

  var wakeLock = null;

  function lockScreen() {
    if (!el.wake) {
      return;
    }
    if (!("wakeLock" in navigator)) {
      el.wake.textContent =
        "This browser cannot keep the screen on by itself: set your screen timeout longer.";
      return;
    }
    navigator.wakeLock.request("screen").then(
      function (lock) {
        wakeLock = lock;
        el.wake.textContent = "The screen stays on during the session.";
        lock.addEventListener("release", function () {
          wakeLock = null;
        });
      },
      function () {
        el.wake.textContent = "The screen could not be kept on: set your screen timeout longer.";
      }
    );
  }

  function releaseScreen() {
    if (wakeLock) {
      wakeLock.release();
      wakeLock = null;
    }
    if (el.wake) {
      el.wake.textContent = "";
    }
  }

  document.addEventListener("visibilitychange", function () {
    // The browser drops the lock when the page is hidden; take it again on return.
    var active = state.phase === "running" || state.phase === "paused";
    if (document.visibilityState === "visible" && active && !wakeLock) {
      lockScreen();
    }
  });

  // ------------------------------------------------------------------ rendering

  function clock(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function announce(text) {
    if (el.announce) {
      el.announce.textContent = text;
    }
  }

  function plannedBefore(index) {
    var ms = 0;
    for (var i = 0; i < index; i++) {
      ms += steps[i].seconds * 1000;
    }
    return ms;
  }

  function stepLeft() {
    var step = steps[state.index];
    if (state.phase === "running") {
      return Math.max(0, state.deadline - now());
    }
    if (state.phase === "paused") {
      return state.remaining;
    }
    return step.seconds * 1000;
  }

  function lightDiagram(step) {
    var areas = root.querySelectorAll("[data-area]");
    for (var i = 0; i < areas.length; i++) {
      var node = areas[i];
      var area = node.getAttribute("data-area");
      var lit = step.kind === "roll" && area === step.area;
      node.classList.toggle("lit", lit);
      var done = false;
      for (var j = 0; j < state.index; j++) {
        if (steps[j].area === area && state.rolledMs[j] > 0) {
          done = true;
        }
      }
      node.classList.toggle("done", done && !lit);
    }
    if (!el.arrow) {
      return;
    }
    var target = step.area ? root.querySelector('[data-area="' + step.area + '"]') : null;
    if (!target || step.kind !== "roll") {
      el.arrow.setAttribute("display", "none");
      return;
    }
    var angle = {
      horizontal: 0,
      vertical: -90,
      "diagonal-up-right": -45,
      "diagonal-up-left": -135,
    }[step.direction];
    var cx = target.getAttribute("data-cx");
    var cy = target.getAttribute("data-cy");
    el.arrow.setAttribute("transform", "translate(" + cx + " " + cy + ") rotate(" + angle + ")");
    el.arrow.setAttribute("display", "inline");
    // Straight strokes go both ways; the diagonals say where to roll from and to.
    var both = step.direction === "horizontal" || step.direction === "vertical";
    el.arrowBack.setAttribute("display", both ? "inline" : "none");
  }

  function renderStep() {
    var step = steps[state.index];
    el.title.textContent = step.title;
    var position = rollIndexes.indexOf(state.index);
    if (step.kind === "roll") {
      el.count.textContent = "Step " + (position + 1) + " of " + rollIndexes.length;
    } else if (step.kind === "prep") {
      el.count.textContent = rollIndexes.length + " steps, " + clock(totalMs) + " of rolling";
    } else {
      el.count.textContent = "Rolling done";
    }
    el.lines.textContent = "";
    step.lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      el.lines.appendChild(li);
    });
    el.passes.textContent = step.passes ? step.passes + " passes per direction" : "";
    el.direction.textContent =
      step.kind === "roll" ? step.arrow + " " + (labels[step.direction] || step.direction) : "";
    lightDiagram(step);
    renderTime();
  }

  function renderTime() {
    var step = steps[state.index];
    var left = stepLeft();
    var timed = step.kind === "roll";
    el.timer.textContent = timed ? clock(left) : "";
    el.timer.hidden = !timed;
    var stepDone = timed && step.seconds > 0 ? 1 - left / (step.seconds * 1000) : 0;
    if (step.kind === "aftercare") {
      stepDone = 1;
    }
    el.stepBar.value = Math.min(1, Math.max(0, stepDone));
    var overall = state.index === 0 ? 0 : plannedBefore(state.index) + (timed ? step.seconds * 1000 - left : 0);
    if (step.kind === "aftercare") {
      overall = totalMs;
    }
    el.overallBar.value = totalMs ? Math.min(1, overall / totalMs) : 0;
    el.overallText.textContent = clock(overall) + " of " + clock(totalMs);
  }

  // ------------------------------------------------------------------ the optional soak timer

  var soakSeconds = steps[0].soak_seconds || 0;
  var soak = { end: 0, timer: 0 };

  function soakLabel() {
    return "Start a " + Math.round(soakSeconds / 60) + "-minute soak timer";
  }

  function stopSoak(text) {
    if (soak.timer) {
      window.clearInterval(soak.timer);
    }
    soak.end = 0;
    soak.timer = 0;
    if (el.soak) {
      el.soak.textContent = soakLabel();
    }
    if (el.soakStatus) {
      el.soakStatus.textContent = text;
    }
  }

  function soakTick() {
    var left = soak.end - now();
    if (left <= 0) {
      stopSoak("Soak done: let the roller air-dry, then start rolling.");
      beep(660, 300);
      speak("Soak done.");
      announce("Soak done.");
      return;
    }
    el.soakStatus.textContent = "Soaking: " + clock(left) + " left.";
  }

  function toggleSoak() {
    unlockAudio();
    if (soak.end) {
      stopSoak("Soak timer stopped.");
      return;
    }
    soak.end = now() + soakSeconds * 1000;
    soak.timer = window.setInterval(soakTick, 1000);
    el.soak.textContent = "Stop the soak timer";
    soakTick();
  }

  function renderControls() {
    var p = state.phase;
    if (el.soak) {
      el.soak.hidden = p !== "prep" || !soakSeconds;
    }
    el.start.hidden = p !== "prep";
    el.pause.hidden = !(p === "running" || p === "paused");
    el.skip.hidden = !(p === "running" || p === "paused");
    el.finish.hidden = p !== "aftercare";
    el.pause.textContent = p === "paused" ? "Resume" : "Pause";
    el.pause.setAttribute("aria-label", p === "paused" ? "Resume the session" : "Pause the session");
    root.setAttribute("data-phase", p);
  }

  // ------------------------------------------------------------------ moving through the steps

  function cueStep() {
    var step = steps[state.index];
    var position = rollIndexes.indexOf(state.index);
    if (step.kind === "roll") {
      beep(880, 160);
      speak(step.cue);
      announce(
        "Step " + (position + 1) + " of " + rollIndexes.length + ": " + step.cue + " " +
          clock(step.seconds * 1000) + "."
      );
    } else if (step.kind === "aftercare") {
      beep(660, 160);
      window.setTimeout(function () {
        beep(990, 260);
      }, 220);
      speak(step.cue);
      announce("Rolling done. Aftercare: " + step.lines[0]);
    }
  }

  function creditRolling(until) {
    if (steps[state.index].kind === "roll") {
      state.rolledMs[state.index] += Math.max(0, until - state.segmentStart);
    }
    state.segmentStart = until;
  }

  function enter(index, startedAt, timedFrom) {
    // timedFrom: the instant the new step's time counts from (the old deadline, or now).
    state.index = index;
    var step = steps[index];
    if (step.kind === "roll") {
      state.segmentStart = startedAt;
      state.deadline = timedFrom + step.seconds * 1000;
      state.remaining = step.seconds * 1000;
    } else {
      toAftercare();
    }
  }

  function toAftercare() {
    state.phase = "aftercare";
    stopTimer();
    releaseScreen();
    renderControls();
    renderStep();
    cueStep();
    el.finish.focus();
  }

  function tick() {
    state.timer = null;
    if (state.phase !== "running") {
      return;
    }
    var t = now();
    var moved = false;
    // Catch up: a throttled tab may wake up after several deadlines; cue only the step reached.
    while (state.phase === "running" && t >= state.deadline) {
      var end = state.deadline;
      creditRolling(end);
      moved = true;
      enter(state.index + 1, end, end);
    }
    if (state.phase !== "running") {
      return;
    }
    if (moved) {
      renderStep();
      cueStep();
    } else {
      renderTime();
    }
    schedule();
  }

  function schedule() {
    stopTimer();
    var wait = Math.min(TICK_MS, Math.max(0, state.deadline - now()));
    state.timer = window.setTimeout(tick, wait);
  }

  function stopTimer() {
    if (state.timer !== null) {
      window.clearTimeout(state.timer);
      state.timer = null;
    }
  }

  function start() {
    if (state.phase !== "prep") {
      return;
    }
    if (soak.end) {
      stopSoak("");
    }
    unlockAudio();
    lockScreen();
    var t = now();
    state.startedAt = t;
    state.phase = "running";
    enter(rollIndexes[0], t, t);
    renderControls();
    renderStep();
    cueStep();
    schedule();
    el.pause.focus();
  }

  function pause() {
    if (state.phase !== "running") {
      return;
    }
    var t = now();
    creditRolling(t);
    state.remaining = Math.max(0, state.deadline - t);
    state.phase = "paused";
    stopTimer();
    renderControls();
    renderTime();
    announce("Paused. " + clock(state.remaining) + " left in this step.");
  }

  function resume() {
    if (state.phase !== "paused") {
      return;
    }
    unlockAudio();
    var t = now();
    state.segmentStart = t;
    state.deadline = t + state.remaining;
    state.phase = "running";
    renderControls();
    announce("Resumed.");
    schedule();
  }

  function skip() {
    if (state.phase === "prep") {
      start();
      return;
    }
    if (state.phase === "aftercare") {
      toLog();
      return;
    }
    if (state.phase !== "running" && state.phase !== "paused") {
      return;
    }
    var t = now();
    var wasPaused = state.phase === "paused";
    if (!wasPaused) {
      creditRolling(t);
    }
    enter(state.index + 1, t, t);
    if (state.phase === "aftercare") {
      return;
    }
    if (wasPaused) {
      // Stay paused on the new step, with its whole time ahead.
      state.remaining = steps[state.index].seconds * 1000;
    }
    renderStep();
    cueStep();
    if (!wasPaused) {
      schedule();
    }
  }

  function toggle() {
    if (state.phase === "running") {
      pause();
    } else if (state.phase === "paused") {
      resume();
    }
  }

  // ------------------------------------------------------------------ the log form

  function rolledZones() {
    var zones = [];
    steps.forEach(function (step, i) {
      if (step.kind === "roll" && state.rolledMs[i] >= 1000 && zones.indexOf(step.zone) < 0) {
        zones.push(step.zone);
      }
    });
    return zones;
  }

  function toLog() {
    if (state.phase !== "aftercare") {
      return;
    }
    state.phase = "log";
    renderControls();
    var rolled = state.rolledMs.reduce(function (a, b) {
      return a + b;
    }, 0);
    var seconds = Math.round(rolled / 1000);
    var zones = rolledZones();
    el.rolled.value = String(seconds);
    el.zones.value = zones.join(",");
    el.controls.hidden = true;
    el.logSection.hidden = false;
    if (seconds < 1 || zones.length === 0) {
      el.logForm.hidden = true;
      el.nothing.hidden = false;
    } else {
      el.logSummary.textContent =
        "You rolled " + clock(seconds * 1000) + " of the planned " + clock(totalMs) + ".";
    }
    el.logHeading.focus();
  }

  if (el.logForm) {
    el.logForm.addEventListener("submit", function () {
      // How long ago rolling began, so the session is logged at its start.
      el.elapsed.value = String(Math.max(0, Math.round((now() - state.startedAt) / 1000)));
    });
  }

  // ------------------------------------------------------------------ wiring

  el.start.addEventListener("click", start);
  if (el.soak) {
    el.soak.addEventListener("click", toggleSoak);
  }
  el.pause.addEventListener("click", toggle);
  el.skip.addEventListener("click", skip);
  el.finish.addEventListener("click", toLog);

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || state.phase === "log") {
      return;
    }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    var typing = tag === "input" || tag === "textarea" || tag === "select";
    if (typing || target.isContentEditable) {
      return;
    }
    if (event.key === " " || event.key === "Spacebar") {
      if (tag === "button" || tag === "a" || tag === "summary") {
        return; // the focused control acts on Space itself
      }
      if (state.phase === "prep") {
        start();
      } else {
        toggle();
      }
      event.preventDefault();
    } else if (event.key === "n" || event.key === "N") {
      skip();
      event.preventDefault();
    }
  });

  root.classList.add("js");
  renderControls();
  renderStep();
})();
