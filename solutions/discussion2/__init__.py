"""Discussion 2 (UC Berkeley EECS 182, Deep Neural Networks, Spring 2023): ReLU derivatives, a computation graph, MAP ridge."""

TITLE = "Discussion 2: Derivatives, Computation Graphs, MAP Ridge"
COURSE = "UC Berkeley EECS 182 (Deep Neural Networks), Spring 2023"
SOURCE = "Discussion 2 worksheet"
