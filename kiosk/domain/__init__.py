"""Domain rules: catalogue, queue, cases, ratings, working-day calendar.

Plain Python: no Qt, no I/O."""
