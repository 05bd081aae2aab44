"""One module per hardware protocol: pure encode/decode functions and a driver handed
its transport."""
