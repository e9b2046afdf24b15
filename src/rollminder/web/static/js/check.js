/* rollminder: the pre-session check (templates/session/check.html).
 *
 * Progressive enhancement only: without this file every date field is shown and the form works
 * the same. With it, a question's "when was it?" field shows only after a "yes".
 */
(function () {
  "use strict";

  var form = document.getElementById("check-form");
  if (!form) {
    return;
  }
  var blocks = form.querySelectorAll("[data-date-for]");

  function update() {
    for (var i = 0; i < blocks.length; i++) {
      var key = blocks[i].getAttribute("data-date-for");
      var yes = form.querySelector('input[name="q_' + key + '"][value="yes"]');
      blocks[i].hidden = !(yes && yes.checked);
    }
  }

  form.addEventListener("change", update);
  update();
})();
