// The zone diagram: a click on a region toggles that zone's checkbox (the checkboxes are the
// real, keyboard-reachable controls; the diagram lights up from CSS when they are ticked).
document.addEventListener("click", (event) => {
  const region = event.target.closest("[data-zone]");
  if (!region || !region.closest("svg.face")) return;
  const box = document.getElementById("z-" + region.dataset.zone);
  if (!box) return;
  box.checked = !box.checked;
  box.dispatchEvent(new Event("change", { bubbles: true }));
});
