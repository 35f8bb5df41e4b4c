"""Midterm Review: Basics (UC Berkeley EECS 182, Deep Neural Networks, Fall 2022)."""

TITLE = "Midterm Review: Basics"
COURSE = "UC Berkeley EECS 182 (Deep Neural Networks), Fall 2022"
SOURCE = "Midterm Review: Basics handout"
