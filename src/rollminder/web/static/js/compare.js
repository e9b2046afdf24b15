/* The compare page's slider: the "after" photo is clipped to show the "before" one beneath. */
"use strict";
(function () {
  var slider = document.getElementById("slider");
  var top = document.getElementById("slider-top");
  if (!slider || !top) {
    return;
  }
  function show() {
    top.style.clipPath = "inset(0 0 0 " + slider.value + "%)";
  }
  slider.addEventListener("input", show);
  show();
})();
