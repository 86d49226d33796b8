"""Infrastructure every layer uses (clock, database, i18n, bidi, images); imports no domain."""
