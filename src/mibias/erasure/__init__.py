"""Erase an attribute from vectors a user already has: :class:`~mibias.erasure.eraser.MIEraser`
(``mibias.MIEraser``) and its linear peers in :mod:`mibias.erasure.eraser`; the erasers' names
and the defaults of ``MIEraser`` and LEACE in :mod:`mibias.erasure.settings`, which imports no
torch (``mibias erase --help`` reads it)."""
