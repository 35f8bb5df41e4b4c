"""Cutting a stylesheet down to the rules that can match a page (solutions.engine.css).

Each expected stylesheet is written out by hand from what a browser would match; that the
notebook pages look the same with the cut-down stylesheet as with nbconvert's whole one is
proven in a browser (test_browser.py).
"""

import doctest

import pytest

from solutions.engine import css


def test_the_module_examples_hold():
    assert doctest.testmod(css).failed == 0


def test_a_selector_needs_every_class_it_names_on_the_page():
    given = ".a .b { color: red } .a { margin: 0 } .b, .a > .c { top: 0 } div { left: 0 }"
    assert css.prune(given, {"a", "c"}) == ".a {margin: 0}\n.a > .c {top: 0}\ndiv {left: 0}\n"


def test_classes_inside_not_are_not_needed_and_is_where_has_are_kept_whole():
    given = ".a:not(.x, .y) { top: 0 } :is(.x, .a) { left: 0 } .x:where(.a) { right: 0 } .x:has(.a) { bottom: 0 }"
    assert css.prune(given, {"a"}) == (".a:not(.x, .y) {top: 0}\n:is(.x, .a) {left: 0}\n"
                                       ".x:where(.a) {right: 0}\n.x:has(.a) {bottom: 0}\n")


def test_media_blocks_are_cut_down_and_dropped_when_empty_other_at_rules_kept():
    given = ("@media (max-width: 10px) { .a { top: 0 } .x { top: 1px } } @media print { .x { top: 0 } } "
             "@keyframes spin { from { opacity: 0 } } @font-face { font-family: F; src: url(f.woff) }")
    assert css.prune(given, {"a"}) == ("@media (max-width: 10px) {\n.a {top: 0}\n}\n"
                                       "@keyframes spin { from { opacity: 0 } }\n"
                                       "@font-face { font-family: F; src: url(f.woff) }\n")


def test_root_after_a_combinator_never_matches():
    given = ":root { --a: 1 } .w :root { --b: 2 } html > :root { --c: 3 } :not(.w) :root { --d: 4 }"
    assert css.prune(given, {"w"}) == ":root {--a: 1}\n"


def test_a_rule_repeated_word_for_word_keeps_its_last_copy():
    # .a is red, then blue, then red again: the last copy decides, so only the first may go.
    given = ".a { color: red } .a { color: blue } .a { color: red }"
    assert css.prune(given, {"a"}) == ".a {color: blue}\n.a {color: red}\n"


def test_classes_of_reads_every_class_attribute():
    assert css.classes_of('<div class="a b"><span class="c">x</span><p class="">y</p></div>') == {"a", "b", "c"}


def test_an_unreadable_stylesheet_is_refused_with_its_line():
    with pytest.raises(ValueError, match="line 2"):
        css.prune(".a { top: 0 }\n.b ;", {"a", "b"})  # a selector with no block
