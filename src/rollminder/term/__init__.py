"""The terminal's live session screen: the timer (monotonic deadlines), the keys (raw mode that is
always restored), the cues (bell and speech) and the drawing. ``rollminder start`` uses them."""
