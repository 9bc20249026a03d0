// Polls a training or scoring run's progress (loans/scoring_pages) and reloads its page when
// the run has finished.
(function () {
  const card = document.getElementById("score-job-card");
  if (!card) return;
  const bar = document.getElementById("score-job-bar");
  const step = document.getElementById("score-job-step");
  const status = document.getElementById("score-job-status");
  async function poll() {
    try {
      const response = await fetch(card.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const state = await response.json();
        const percent = Math.round(state.fraction * 100);
        bar.style.width = percent + "%";
        bar.parentElement.setAttribute("aria-valuenow", percent);
        step.textContent = state.step || state.label;
        status.textContent = state.label;
        if (state.finished) { window.location.reload(); return; }
      }
    } catch (error) { /* the network blipped; try again */ }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1000);
})();
