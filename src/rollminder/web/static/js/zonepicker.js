// The time zone from the browser: the first step sends it along (a hidden field), and a zone
// field the person has not answered yet (data-guess) shows it instead of the server's zone.
// Without JavaScript the server's guess stays, and any city or zone name can be typed.
(() => {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    zone = "";
  }
  if (!zone) return;
  for (const field of document.querySelectorAll("input[data-browser-zone]")) {
    if (!field.value) field.value = zone;
  }
  for (const field of document.querySelectorAll("input[data-guess]")) {
    field.value = zone;
    field.addEventListener("input", () => field.removeAttribute("data-guess"), { once: true });
  }
})();
