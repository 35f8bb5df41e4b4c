"""Submitted solutions: the Lecture 4 sigmoid network, dropout and batchnorm, audited and corrected.

The source names no course beyond "the neural network from Lecture 4": three problems of a
deep-learning course, handed in with a solution that this set checks line by line.
"""

TITLE = "Submitted solutions: Lecture 4 network, dropout, batchnorm"
COURSE = "a deep-learning course (problems on its Lecture 4 network), with a submitted solution"
SOURCE = "three problems (Lecture 4 network gradients, dropout, batchnorm bias) and a submitted solution"
