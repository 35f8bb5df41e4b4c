// Typesets TeX with MathJax 3 in Node, for the offline_mathjax hook: the site's pages carry
// their math already typeset (CommonHTML output with assistive MathML), so the reader's
// browser runs no MathJax at all.
//
//   node mathjax_typeset.js <MathJax es5 folder> <font URL>
//
// Reads one JSON request a line on stdin and writes one JSON answer a line on stdout:
//   {"tex": "...", "display": true}  ->  {"html": "<mjx-container ...>", "errors": ["..."]}
//   {"css": true}                    ->  {"css": "<the stylesheet for every character of every font>"}
"use strict";

const [folder, fontURL] = process.argv.slice(2);
const readline = require("readline");

require(folder + "/node-main.js").init({
  loader: {
    paths: {mathjax: folder},
    versionWarnings: false,
    load: ["adaptors/liteDOM", "input/tex", "output/chtml", "a11y/assistive-mml"],
  },
  tex: {processEscapes: true, processEnvironments: true},
  chtml: {fontURL, adaptiveCSS: false},  // the hook keeps only the rules of the characters used
  options: {enableAssistiveMml: true},  // screen readers get MathML
  startup: {typeset: false},
}).then((MathJax) => {
  const adaptor = MathJax.startup.adaptor;
  const lines = readline.createInterface({input: process.stdin, terminal: false});
  // One request at a time, in order; the promise form lets a formula autoload a TeX extension.
  let queue = Promise.resolve();
  lines.on("line", (line) => {
    queue = queue.then(async () => {
      const request = JSON.parse(line);
      let answer;
      if (request.css) {
        answer = {css: adaptor.textContent(MathJax.chtmlStylesheet())};
      } else {
        MathJax.texReset();
        const node = await MathJax.tex2chtmlPromise(request.tex, {display: request.display});
        const errors = adaptor.tags(node, "mjx-merror").map((e) => adaptor.getAttribute(e, "data-mjx-error") || adaptor.textContent(e));
        answer = {html: adaptor.outerHTML(node), errors};
      }
      process.stdout.write(JSON.stringify(answer) + "\n");
    }).catch((error) => {
      process.stderr.write(`MathJax failed: ${error.stack || error}\n`);
      process.exit(1);
    });
  });
}).catch((error) => {
  process.stderr.write(`MathJax failed to start: ${error.stack || error}\n`);
  process.exit(1);
});
