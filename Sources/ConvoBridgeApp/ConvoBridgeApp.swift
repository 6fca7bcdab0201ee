// The bridge's wiring (issue 4) lands here.
