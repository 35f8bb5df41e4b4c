"""Section 08: Neural Networks (a worksheet; the document does not name its course).

The worksheet cites outside material (Joseph Redmon's Deep Learning slides, his CSE 490
notebook, colah's blog, CS231n) but names no course of its own, so none is given here.
"""

TITLE = "Section 08: Neural Networks"
COURSE = 'not named in the source: a worksheet titled "Section 08: Neural Networks"'
SOURCE = "Section 08 worksheet: chain rule, one-hidden-layer gradients, initialization, Jacobians"
