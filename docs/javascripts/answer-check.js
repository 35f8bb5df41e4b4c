/* Answer boxes: check a typed answer against the answer key, in the browser.

   The engine (solutions/engine/answercheck.py) puts an empty
   <div class="answer-box" data-answer-id="..." data-answer-label="..."></div> before the solution
   of each asked value, and the page's answer data in <script type="application/json" id="answer-data">.
   This script builds each box (a labelled input, a Check button, a role="status" verdict) and sets
   data-verdict on the box to correct, incorrect, mistake or invalid. The parser and the verdict
   mirror answercheck.py line for line; tests/answer_cases.json holds the cases both agree on.
   Progress (which answers were checked correct) is kept in localStorage only. */
(function () {
  "use strict";

  var MIN_FIGURES = 3;
  var MAX_FIGURES = 100;
  var PLAIN_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var NUMBER = /\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;
  var NAME = /[A-Za-z]+/y;
  var FUNCTIONS = {sqrt: Math.sqrt, exp: Math.exp, log: Math.log};
  var CONSTANTS = {pi: Math.PI, e: Math.E};
  var STORAGE = "answer-check:";

  function ParseError(message) { this.message = message; }

  function finite(x) {
    if (!isFinite(x)) throw new ParseError("the result is not a finite number");
    return x;
  }

  /* ---------------------------------------------------------------- reading what a student typed */

  function Parser(text) { this.text = text; this.at = 0; }
  Parser.prototype.skip = function () {
    while (this.at < this.text.length && " \t\n\r".indexOf(this.text[this.at]) >= 0) this.at += 1;
  };
  Parser.prototype.peek = function (token) { this.skip(); return this.text.startsWith(token, this.at); };
  Parser.prototype.take = function (token) {
    if (this.peek(token)) { this.at += token.length; return true; }
    return false;
  };
  Parser.prototype.fail = function (what) {
    this.skip();
    if (this.at >= this.text.length) throw new ParseError(what + " is missing at the end");
    throw new ParseError("unexpected '" + this.text[this.at] + "' at character " + (this.at + 1));
  };
  Parser.prototype.entry = function () {
    this.skip();
    if (this.at >= this.text.length) throw new ParseError("an entry is empty");
    var value = this.expr();
    this.skip();
    if (this.at < this.text.length) this.fail("an operator");
    return value;
  };
  Parser.prototype.expr = function () {
    var value = this.term();
    for (;;) {
      if (this.take("+")) value = finite(value + this.term());
      else if (this.take("-")) value = finite(value - this.term());
      else return value;
    }
  };
  Parser.prototype.term = function () {
    var value = this.factor();
    for (;;) {
      if (this.take("*")) value = finite(value * this.factor());
      else if (this.take("/")) value = finite(value / this.factor());
      else return value;
    }
  };
  Parser.prototype.factor = function () {
    if (this.take("-")) return -this.factor();
    if (this.take("+")) return this.factor();
    return this.power();
  };
  Parser.prototype.power = function () {
    var base = this.primary();
    if (this.take("^") || this.take("**")) return finite(Math.pow(base, this.factor()));
    return base;
  };
  Parser.prototype.primary = function () {
    this.skip();
    if (this.take("(")) {
      var inner = this.expr();
      if (!this.take(")")) this.fail("')'");
      return inner;
    }
    NUMBER.lastIndex = this.at;
    var number = NUMBER.exec(this.text);
    if (number) {
      this.at = NUMBER.lastIndex;
      return finite(Number(number[0]));
    }
    NAME.lastIndex = this.at;
    var name = NAME.exec(this.text);
    if (name) {
      this.at = NAME.lastIndex;
      var word = name[0];
      if (Object.prototype.hasOwnProperty.call(FUNCTIONS, word)) {
        if (!this.take("(")) this.fail("'(' after " + word);
        var argument = this.expr();
        if (!this.take(")")) this.fail("')'");
        return finite(FUNCTIONS[word](argument));
      }
      if (Object.prototype.hasOwnProperty.call(CONSTANTS, word)) return CONSTANTS[word];
      throw new ParseError("unknown name '" + word + "' (known: sqrt, exp, log, pi, e)");
    }
    this.fail("a number");
  };

  function strip(text) { return text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, ""); }

  function parse(text) {
    text = text.replace(/\u2212/g, "-");
    if (!strip(text)) throw new ParseError("nothing was typed");
    var several = text.indexOf(",") >= 0 || text.indexOf(";") >= 0;
    var rows = [], count = 0;
    text.split(";").forEach(function (row) {
      var entries = [];
      row.split(",").forEach(function (piece) {
        try {
          entries.push({value: new Parser(piece).entry(), text: strip(piece)});
        } catch (error) {
          if (!(error instanceof ParseError)) throw error;
          throw new ParseError((several ? "entry " + (count + entries.length + 1) + ": " : "") + error.message);
        }
      });
      count += entries.length;
      rows.push(entries);
    });
    return rows;
  }

  /* ---------------------------------------------------------------- the verdict policy */

  function digits(text) {
    var sign = text[0] === "-" ? "-" : "";
    var parts = text.replace(/^[+-]+/, "").toLowerCase().split("e");
    var mantissa = parts[0], exponent = parts.length > 1 ? parseInt(parts[1], 10) : 0;
    var dot = mantissa.indexOf(".");
    var whole = dot >= 0 ? mantissa.slice(0, dot) : mantissa;
    var all = whole + (dot >= 0 ? mantissa.slice(dot + 1) : "");
    var first = all.length - all.replace(/^0+/, "").length;
    return [sign, all.slice(first), whole.length - 1 - first + exponent];
  }

  function normal(text) {
    var d = digits(text), kept = d[1].replace(/0+$/, "");
    return kept ? d[0] + "|" + kept + "|" + d[2] : "||0";
  }

  function significantFigures(text) {
    return PLAIN_DECIMAL.test(text) ? digits(text)[1].length : 0;
  }

  function rounded(v, figures) {
    if (v === 0) return "0";
    return (v < 0 ? "-" : "") + Math.abs(v).toPrecision(figures);
  }

  function agrees(entry, v, rtol, atol) {
    if (Math.abs(entry.value - v) <= atol + rtol * Math.abs(v)) return true;
    var figures = significantFigures(entry.text);
    if (figures < MIN_FIGURES || figures > MAX_FIGURES || v === 0) return false;
    return normal(entry.text) === normal(rounded(v, figures));
  }

  function flat(value) {
    return Array.isArray(value) ? value.reduce(function (all, v) { return all.concat(flat(v)); }, []) : [value];
  }

  function tolerance(tol, index, shape) {
    return Array.isArray(tol) ? tol[index % shape[shape.length - 1]] : tol;
  }

  function expected(shape) {
    if (!shape.length) return "one number";
    if (shape.length === 1) return shape[0] + " numbers separated by commas";
    return shape[0] + " rows of " + shape[1] + " numbers (entries separated by commas, rows by semicolons)";
  }

  function arrange(rows, shape) {
    var all = [].concat.apply([], rows);
    var size = shape.reduce(function (a, b) { return a * b; }, 1);
    if (all.length !== size) return null;
    var lengths = rows.map(function (row) { return row.length; });
    var column = shape.length === 1 && lengths.length === size && lengths.every(function (n) { return n === 1; });
    var matrix = shape.length === 2 && lengths.length === shape[0] && lengths.every(function (n) { return n === shape[1]; });
    return rows.length === 1 || column || matrix ? all : null;
  }

  function place(index, shape) {
    if (shape.length === 2) return "row " + (Math.floor(index / shape[1]) + 1) + " column " + (index % shape[1] + 1);
    return "entry " + (index + 1);
  }

  function verdict(text, answer) {
    var shape = answer.shape, rows;
    try {
      rows = parse(text);
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      return {verdict: "invalid", message: "Cannot read this: " + error.message + ". Type a number such as 0.333 or -5/3, " +
              "or an expression such as sqrt(2)/2.", off: []};
    }
    var entries = arrange(rows, shape);
    if (entries === null) {
      var count = rows.reduce(function (n, row) { return n + row.length; }, 0);
      var got = count + " number" + (count !== 1 ? "s" : "") + (rows.length > 1 ? " in " + rows.length + " rows" : "");
      return {verdict: "invalid", message: "Expected " + expected(shape) + "; got " + got + ".", off: []};
    }
    var values = flat(answer.value);
    function matches(i, target, rtol, atol) {
      return agrees(entries[i], target[i], tolerance(rtol, i, shape), tolerance(atol, i, shape));
    }
    var ok = entries.map(function (_, i) { return matches(i, values, answer.rtol, answer.atol); });
    if (ok.every(Boolean)) {
      return {verdict: "correct", message: ok.length === 1 ? "Correct." : "Correct: all " + ok.length + " entries.", off: []};
    }
    var off = [];
    ok.forEach(function (good, i) { if (!good) off.push(i); });
    var mistakes = answer.mistakes || [], before = answer.errata || [], k;
    for (k = 0; k < mistakes.length; k += 1) {
      var wrong = flat(mistakes[k].value), mistake = mistakes[k];
      if (off.every(function (i) { return matches(i, wrong, mistake.rtol, mistake.atol); })) {
        return {verdict: "mistake", message: "Not correct. This is a typical mistake: " + mistake.why, off: off};
      }
    }
    for (k = 0; k < before.length; k += 1) {
      var old = flat(before[k].value);
      if (off.every(function (i) { return matches(i, old, answer.rtol, answer.atol); })) {
        return {verdict: "mistake", message: "Not correct. This was the published value before the " +
                "correction of " + before[k].date + " (see the errata).", off: off};
      }
    }
    if (ok.length === 1) return {verdict: "incorrect", message: "Not correct.", off: off};
    return {verdict: "incorrect", message: "Not correct: " + off.length + " of " + ok.length + " entries are off (" +
            off.map(function (i) { return place(i, shape); }).join(", ") + ").", off: off};
  }

  /* ---------------------------------------------------------------- the page */

  function remember(id) {
    try { window.localStorage.setItem(STORAGE + id, "correct"); } catch (error) { /* storage disabled: no progress */ }
  }

  function remembered(id) {
    try { return window.localStorage.getItem(STORAGE + id) === "correct"; } catch (error) { return false; }
  }

  function hint(shape) {
    if (!shape.length) return "a number, e.g. -5/3 or 0.333";
    if (shape.length === 1) return shape[0] + " numbers, separated by commas";
    return shape[0] + " rows of " + shape[1] + " numbers; rows separated by ;";
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function build(box, answer, help, number) {
    var id = box.getAttribute("data-answer-id");
    var form = document.createElement("form");
    form.className = "answer-box__form";
    var label = document.createElement("label");
    label.htmlFor = "answer-box-" + number;
    label.textContent = box.getAttribute("data-answer-label") || "Your answer";
    var input = document.createElement("input");
    input.type = "text";
    input.id = label.htmlFor;
    input.className = "answer-box__input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("autocapitalize", "off");
    input.placeholder = hint(answer.shape);
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "md-button answer-box__check";
    button.textContent = "Check";
    var status = document.createElement("p");
    status.className = "answer-box__status";
    status.setAttribute("role", "status");
    status.id = "answer-box-" + number + "-status";
    input.setAttribute("aria-describedby", status.id);
    var about = document.createElement("p");
    about.className = "answer-box__help";
    about.appendChild(link(help, "How answers are checked"));
    if (remembered(id)) about.appendChild(document.createTextNode(" · You have checked this one correct before."));
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var result = verdict(input.value, answer);
      box.setAttribute("data-verdict", result.verdict);
      input.setAttribute("aria-invalid", result.verdict === "correct" ? "false" : "true");
      status.textContent = result.message;
      if (result.verdict === "correct") remember(id);
    });
    box.appendChild(form);
    box.appendChild(status);
    box.appendChild(about);
  }

  function start() {
    var data = document.getElementById("answer-data");
    var answers = data ? JSON.parse(data.textContent) : null;
    Array.prototype.forEach.call(document.querySelectorAll(".answer-box[data-answer-id]"), function (box, number) {
      var answer = answers && answers.answers[box.getAttribute("data-answer-id")];
      if (answer && !box.firstChild) build(box, answer, answers.help, number + 1);
    });
    Array.prototype.forEach.call(document.querySelectorAll(".answer-progress[data-answer-ids]"), function (line) {
      var ids = line.getAttribute("data-answer-ids").split(" ").filter(Boolean);
      var done = ids.filter(remembered).length;
      line.textContent = "Your progress: " + done + " of " + ids.length + " checked (answers you got right, " +
        "remembered by this browser only). ";
      line.appendChild(link(line.getAttribute("data-answer-help"), "How answers are checked"));
    });
  }

  window.AnswerCheck = {parse: parse, verdict: verdict, significantFigures: significantFigures, rounded: rounded,
                        ParseError: ParseError};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
