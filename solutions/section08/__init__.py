"""Section 08: Neural Networks (a discussion worksheet).

The worksheet does not name its own course. What it does name is where its reading comes
from: slides of Joseph Redmon's Deep Learning course and a Colab notebook "from CSE 490 of
Joseph Redmon", colah's blog, and Stanford's CS231n. COURSE says exactly that, no more.
The provenance line reads "Source: {SOURCE}, {COURSE}."
"""

TITLE = "Section 08: Neural Networks"
COURSE = "course unnamed; it cites Joseph Redmon's Deep Learning slides and CSE 490 notebook, and Stanford's CS231n"
SOURCE = 'the worksheet "Section 08: Neural Networks"'
