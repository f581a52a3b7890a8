"""Reading raw event tables and writing files atomically."""
