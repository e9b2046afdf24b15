// Keeps the dashboard's countdown ("in 2 d 3 h") current without reloading the page.
(() => {
  const el = document.querySelector("[data-countdown]");
  if (!el) return;
  const target = Date.parse(el.dataset.countdown);
  const show = () => {
    const left = Math.max(0, Math.round((target - Date.now()) / 1000));
    const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    const m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = left === 0 ? "now" :
      d ? `in ${d} d ${h} h` : h ? `in ${h} h ${m} min` : `in ${m} min ${s} s`;
  };
  show();
  setInterval(show, 1000);
})();
