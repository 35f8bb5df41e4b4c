"""Worked solutions computed by code.

Each problem set is a subpackage (``solutions.midterm_review``) holding one module per
problem. A problem module states its inputs in ``INPUTS`` and defines
``publish(page)``, which computes every value and figure its page shows and hands them
to ``page`` by name. The shared pieces (activations, layers, gradient checking,
formatting, figure style, the answer key) live in ``solutions.core``.
"""
