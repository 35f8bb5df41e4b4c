// MathJax configuration for pages written with pymdownx.arithmatex (generic mode).
// MathJax itself is served from assets/mathjax/ by the offline_mathjax hook.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    menuOptions: { settings: { assistiveMml: true } }, // screen readers get MathML
  },
};

// Material emits document$ on every page load (and on instant navigation). MathJax
// typesets the first page itself at start-up, so the first emission is skipped; later
// ones re-typeset, chained on MathJax's start-up promise so they never race it.
let firstPage = true;
document$.subscribe(() => {
  if (firstPage) {
    firstPage = false;
    return;
  }
  MathJax.startup.promise = MathJax.startup.promise.then(() => {
    MathJax.startup.output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    return MathJax.typesetPromise();
  });
});
