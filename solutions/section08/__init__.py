"""Section 08: Neural Networks (a worksheet; the document does not name its course).

The worksheet cites outside material (Joseph Redmon's Deep Learning slides, his CSE 490
notebook, colah's blog, CS231n) but names no course of its own, so none is given here.
The provenance line reads "Source: {SOURCE}, {COURSE}."
"""

TITLE = "Section 08: Neural Networks"
COURSE = "course not named in the worksheet"
SOURCE = 'the worksheet "Section 08: Neural Networks"'
