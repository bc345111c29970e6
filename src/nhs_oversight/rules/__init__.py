"""Rules: pure functions of frames and rulebooks, one module per regime."""
