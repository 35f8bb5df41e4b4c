"""Shared pieces every problem module uses: math, checking, formatting, figures, publishing."""
