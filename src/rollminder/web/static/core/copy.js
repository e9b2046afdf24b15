// "Copy" buttons: copy the named read-only field's text (clipboard needs a secure context;
// elsewhere the text is selected so the person can copy it by hand).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Selected: copy it";
  }
});
