"""Service directory: HSDS data, Tandem's taxonomy, places and nearest-first search."""
