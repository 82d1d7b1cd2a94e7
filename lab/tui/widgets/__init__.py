"""The playground's widgets, one per piece of data."""
