"""The lab set: a problem set of the tests' own (see tests/lab/README.md)."""

TITLE = "Lab set: batchnorm of four numbers"
COURSE = "the project's test suite"
SOURCE = "tests/lab"
