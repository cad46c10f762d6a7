"""The contract's rules as a pure, synchronous model: no I/O, the clock a parameter."""
