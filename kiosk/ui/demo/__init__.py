"""``make demo``'s screens: the hall display beside a console that issues and calls."""
