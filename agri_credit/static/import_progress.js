// Polls a running import's progress and reloads the batch page when the job has finished.
(function () {
  const card = document.getElementById("progress-card");
  if (!card) return;
  const bar = document.getElementById("progress-bar");
  const rows = document.getElementById("progress-rows");
  const unit = rows.textContent.replace(/[\d,\s]/g, "");
  async function poll() {
    try {
      const response = await fetch(card.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        const percent = Math.round(state.fraction * 100);
        bar.style.width = percent + "%";
        bar.parentElement.setAttribute("aria-valuenow", percent);
        rows.textContent = state.rows.toLocaleString() + " " + unit;
        if (state.finished) { window.location.reload(); return; }
      }
    } catch (error) { /* the network blipped; try again */ }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1000);
})();
