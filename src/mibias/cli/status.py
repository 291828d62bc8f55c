"""The exit statuses of ``mibias`` (README, "Exit statuses"); 1 is left to Python's own
uncaught errors."""

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_DAMAGED = 4
EXIT_CANNOT_WRITE = 5
EXIT_NO_RUN_FINISHED = 6
EXIT_INTERRUPTED = 130
