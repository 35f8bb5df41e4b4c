"""Submitted Homework 4 of a deep-learning course: each submitted answer audited and corrected.

The source document names no course and contains only the submitted answers (the questions
are reconstructed from them): gradients of a two-hidden-unit network, a small chain-rule
question, targets on different scales, output activations, batchnorm vs layernorm, skip
connections, and randomness in training.
"""

TITLE = "Submitted solutions: Homework 4"
COURSE = "a deep-learning course's Homework 4, as submitted (the document names no course)"
SOURCE = "a submitted Homework #4 (answers only)"
