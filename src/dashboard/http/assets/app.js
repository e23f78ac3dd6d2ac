// edgeprobe dashboard: small progressive enhancements; every page works without this file.
(() => {
  function relative(iso) {
    const seconds = (Date.now() - Date.parse(iso)) / 1000;
    if (!Number.isFinite(seconds)) return null;
    const ahead = seconds < 0;
    const s = Math.abs(seconds);
    let text;
    if (s < 60) text = 'just now';
    else if (s < 3600) text = `${Math.round(s / 60)} min`;
    else if (s < 86400) text = `${Math.round(s / 3600)} h`;
    else if (s < 86400 * 60) text = Math.round(s / 86400) === 1 ? '1 day' : `${Math.round(s / 86400)} days`;
    else return null;
    if (text === 'just now') return text;
    return ahead ? `in ${text}` : `${text} ago`;
  }
  function init() {
    // Relative times next to the absolute ones (the absolute time stays in the tooltip).
    const times = document.querySelectorAll('td.seen time, dd time');
    for (let i = 0; i < times.length; i++) {
      const rel = relative(times[i].getAttribute('datetime'));
      if (rel) times[i].textContent = rel;
    }
    // A link to one verdict opens it.
    const openTarget = () => {
      const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
      if (target && target.tagName === 'DETAILS') target.open = true;
    };
    openTarget();
    window.addEventListener('hashchange', openTarget);
    // Switching the profile reloads the comparison at once.
    const selects = document.querySelectorAll('select[data-autosubmit]');
    for (let j = 0; j < selects.length; j++) {
      selects[j].addEventListener('change', (event) => {
        event.target.form.submit();
      });
    }
    // "Only differences" hides the rows where every entry agrees; remembered across pages.
    const toggle = document.getElementById('only-differences');
    const table = document.querySelector('table.compare');
    if (toggle && table) {
      toggle.closest('label').hidden = false;
      const apply = () => {
        table.classList.toggle('only-differences', toggle.checked);
        try {
          localStorage.setItem('edgeprobe.onlyDifferences', toggle.checked ? '1' : '0');
        } catch (_e) {
          /* private mode */
        }
      };
      try {
        toggle.checked = localStorage.getItem('edgeprobe.onlyDifferences') === '1';
      } catch (_e) {
        /* private mode */
      }
      toggle.addEventListener('change', apply);
      apply();
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
