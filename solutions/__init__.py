"""Worked solutions computed by code.

Each problem set is a subpackage (``solutions.midterm_review``) holding one module per
problem. A problem module states its inputs in ``INPUTS`` and defines
``publish(page)``, which computes every value and figure its page shows and hands them
to ``page`` by name. What problem modules import (activations, layers, losses, gradient
checking, formatting, figure style) lives in ``solutions.toolkit``; the machinery that
runs them (publishing, the answer key, errata, cache, notebooks) in ``solutions.engine``.
"""
